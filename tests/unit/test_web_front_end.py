"""The planner front end's static shape: everything it loads is in web/ (no CDN, no build
step), and template.yaml serves web/ from a private bucket through CloudFront."""

from __future__ import annotations

import json
import re
from pathlib import Path

from cfnlint.decode import decode_str

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "web"
OWN = sorted([WEB / "index.html", *WEB.glob("js/**/*.js"), *WEB.glob("css/*.css")])
IMPORT = re.compile(r"""(?:from\s+|import\s*\(\s*)["']([^"']+)["']""")


def import_map() -> dict[str, str]:
    html = (WEB / "index.html").read_text()
    block = re.search(r'<script type="importmap">(.*?)</script>', html, re.S)
    assert block
    return dict(json.loads(block.group(1))["imports"])


def test_the_page_loads_nothing_from_another_origin() -> None:
    for path in OWN:
        text = path.read_text()
        assert not re.search(r"(?:src|href)=[\"']?(?:https?:)?//", text), path
        assert not re.search(r"""(?:from|import\()\s*["'](?:https?:)?//""", text), path


def test_every_import_resolves_to_a_file_in_web() -> None:
    mapped = import_map()
    for target in mapped.values():
        assert (WEB / target).is_file(), target
    for path in WEB.glob("js/**/*.js"):
        for spec in IMPORT.findall(path.read_text()):
            if spec in mapped:
                continue
            assert spec.startswith("."), f"{path}: bare import {spec!r} not in the import map"
            assert (path.parent / spec).resolve().is_file(), f"{path}: {spec}"


def test_every_vendored_library_carries_its_licence() -> None:
    for folder in (WEB / "vendor").iterdir():
        if folder.is_dir():
            assert (folder / "LICENSE").is_file(), folder


def test_the_template_serves_web_privately_through_cloudfront() -> None:
    body, errors = decode_str((ROOT / "template.yaml").read_text())
    assert not errors
    resources = body["Resources"]
    bucket = resources["WebBucket"]["Properties"]
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    config = resources["WebDistribution"]["Properties"]["DistributionConfig"]
    (origin,) = config["Origins"]
    assert origin["OriginAccessControlId"] == {"Fn::GetAtt": ["WebOriginAccessControl", "Id"]}
    assert config["DefaultCacheBehavior"]["ViewerProtocolPolicy"] == "redirect-to-https"
    assert config["DefaultRootObject"] == "index.html"
    (allow, _deny) = resources["WebBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert allow["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert "AWS:SourceArn" in allow["Condition"]["StringEquals"]
    assert {"WebUrl", "WebOrigin", "WebBucketName"} <= set(body["Outputs"])
