"""The shared Lambda layer ships only what the functions import.

`sam build` turns the layer's ContentUri (template.yaml: layers/shared/) into the layer: every
file of the folder plus its requirements.txt installed. So the folder must hold the
fashion_forecast package and nothing else, and every module of the package must be imported,
directly or not, by some function's handler (the Demand image copies the same package). The
development tools (local runtime, demo, sample data) live in local/ and never reach a Lambda.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import grimp

from fashion_forecast_local.template import Template

ROOT = Path(__file__).resolve().parents[2]


def layer_folder() -> Path:
    template = Template.load()
    (layer,) = template.of_type("AWS::Serverless::LayerVersion").values()
    return ROOT / str(layer["Properties"]["ContentUri"])


def shipped_files(folder: Path) -> list[str]:
    """The files of the layer folder a clean checkout has (git ls-files: no caches)."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", str(folder)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return sorted(str((ROOT / name).relative_to(folder)) for name in listed)


def test_the_layer_folder_holds_the_package_and_its_requirements_only() -> None:
    files = shipped_files(layer_folder())
    assert "requirements.txt" in files
    others = [f for f in files if f != "requirements.txt"]
    assert others and all(f.startswith("fashion_forecast/") and f.endswith(".py") for f in others)
    assert not [f for f in others if "local" in Path(f).parts or "sample_data" in f]


def test_every_module_of_the_layer_is_imported_by_a_function() -> None:
    graph = grimp.build_graph("fashion_forecast", "functions")
    handlers = {m for m in graph.modules if m.startswith("functions.") and m.endswith(".app")}
    assert len(handlers) == len(Template.load().of_type("AWS::Serverless::Function"))
    reachable: set[str] = set()
    for handler in handlers:
        reachable |= graph.find_upstream_modules(handler)
    package = {
        m for m in graph.modules if m == "fashion_forecast" or m.startswith("fashion_forecast.")
    }
    packages = {m.rsplit(".", 1)[0] for m in package if "." in m}
    unused = sorted(m for m in package - reachable if m not in packages)
    assert unused == []


def test_the_requirements_of_the_layer_are_pinned() -> None:
    lines = (layer_folder() / "requirements.txt").read_text().splitlines()
    pins = [line for line in lines if line and not line.startswith("#")]
    assert pins and all("==" in pin for pin in pins)
