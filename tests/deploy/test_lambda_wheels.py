"""Every Lambda's dependencies install as wheels on its runtime, checked without Docker.

For each function's requirements (zip functions, the Demand image) and the shared layer's,
`pip install --dry-run --only-binary=:all:` resolves them for the runtime's Python and the
manylinux tags its base accepts (Amazon Linux 2023, glibc 2.34: manylinux_2_28 and older).
It fails when a pin has no wheel there (pip would fall back to a source build, or fail, in
`sam build`); it skips when the package index cannot be reached.
"""

from __future__ import annotations

import os
import re
import ssl
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from fashion_forecast_local.template import Template

ROOT = Path(__file__).resolve().parents[2]
# What Amazon Linux 2023 (python3.12 / python3.13 runtimes) accepts, newest first. pip does
# not expand a --platform to the older tags, so each is listed.
PLATFORMS = ["manylinux_2_28_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64"]
# pip's words when it could not talk to the index, as opposed to finding no wheel there.
UNREACHABLE = re.compile(
    r"NewConnectionError|Failed to establish a new connection|Name or service not known|"
    r"Temporary failure in name resolution|Network is unreachable|ConnectTimeout|"
    r"ProxyError|Max retries exceeded|SSLError|ConnectionResetError",
)


def runtimes() -> dict[str, str]:
    """Requirements file -> the Python version (3.x) it is installed for."""
    template = Template.load()
    out: dict[str, str] = {}
    (layer,) = template.of_type("AWS::Serverless::LayerVersion").values()
    out["layers/shared/requirements.txt"] = layer["Metadata"]["BuildMethod"]
    for resource in template.of_type("AWS::Serverless::Function").values():
        props = resource["Properties"]
        if props.get("PackageType") == "Image":
            dockerfile = (ROOT / resource["Metadata"]["Dockerfile"]).read_text()
            (tag,) = set(
                re.findall(r"^FROM public\.ecr\.aws/lambda/python:(\S+)", dockerfile, re.M)
            )
            folder = Path(resource["Metadata"]["Dockerfile"]).parent
            out[str(folder / "requirements.txt")] = f"python{tag}"
        else:
            out[str(Path(props["CodeUri"]) / "requirements.txt")] = props["Runtime"]
    return {name: runtime.removeprefix("python") for name, runtime in out.items()}


def index_url() -> str:
    """The package index pip uses here (PIP_INDEX_URL, pip's configuration, else PyPI)."""
    if os.environ.get("PIP_INDEX_URL"):
        return os.environ["PIP_INDEX_URL"]
    configured = subprocess.run(
        [sys.executable, "-m", "pip", "config", "get", "global.index-url"],
        capture_output=True,
        text=True,
    )
    return configured.stdout.strip() or "https://pypi.org/simple"


@pytest.fixture(scope="module")
def index() -> str:
    """The index URL; skips the module's checks when it cannot be reached."""
    url = index_url().rstrip("/") + "/pip/"
    cafile = os.environ.get("PIP_CERT") or os.environ.get("SSL_CERT_FILE")
    context = ssl.create_default_context(cafile=cafile)
    try:
        with urllib.request.urlopen(url, timeout=15, context=context) as response:
            response.read(1)
    except OSError as exc:  # URLError, timeouts, DNS and TLS failures
        pytest.skip(f"package index unreachable ({url}: {exc}): Lambda wheels not checked")
    return url


def has_requirements(path: Path) -> bool:
    lines = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    return any(lines)


REQUIREMENTS = runtimes()


def test_one_runtime_for_every_function_and_the_layer() -> None:
    assert len(set(REQUIREMENTS.values())) == 1, REQUIREMENTS
    (version,) = set(REQUIREMENTS.values())
    assert version in {"3.12", "3.13"}  # Amazon Linux 2023 runtimes


@pytest.mark.parametrize(
    "requirements", sorted(r for r in REQUIREMENTS if has_requirements(ROOT / r))
)
def test_requirements_have_wheels_for_the_lambda_runtime(
    requirements: str, tmp_path: Path, index: str
) -> None:
    command = [
        sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed",
        "--only-binary=:all:", "--target", str(tmp_path),
        "--python-version", REQUIREMENTS[requirements], "--implementation", "cp",
        *(arg for platform in PLATFORMS for arg in ("--platform", platform)),
        "-r", str(ROOT / requirements),
    ]  # fmt: skip
    completed = subprocess.run(command, capture_output=True, text=True, timeout=240)
    output = completed.stdout + completed.stderr
    lost = UNREACHABLE.search(output)
    if completed.returncode != 0 and lost:  # the index went away during the run
        pytest.skip(f"package index unreachable ({lost[0]}): {requirements} not checked")
    assert completed.returncode == 0, f"{requirements}: no wheel for every pin:\n{output[-3000:]}"


def test_a_pin_without_a_wheel_fails_the_check(tmp_path: Path, index: str) -> None:
    """The same command on the old runtime (Amazon Linux 2, manylinux2014 only) fails on
    numpy: the check can fail, and tells "no wheel" from "no network"."""
    (tmp_path / "requirements.txt").write_text("numpy==2.4.6\n")
    command = [
        sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed",
        "--only-binary=:all:", "--target", str(tmp_path / "t"),
        "--python-version", "3.11", "--implementation", "cp", "--platform", "manylinux2014_x86_64",
        "-r", str(tmp_path / "requirements.txt"),
    ]  # fmt: skip
    completed = subprocess.run(command, capture_output=True, text=True, timeout=240)
    output = completed.stdout + completed.stderr
    if UNREACHABLE.search(output):
        pytest.skip("package index unreachable during the run")
    assert completed.returncode != 0
    assert "numpy" in output and "from versions" in output
