#!/usr/bin/env python3
"""Set up .venv and run a project task. Needs only Python 3.11+ (stdlib).

    python3 .ci/dev.py demo     # set up, then run a demo season in the local runtime
    python3 .ci/dev.py serve    # set up, then serve the API on the local runtime
    python3 .ci/dev.py test     # set up, then lint, type-check and run the whole test suite
    python3 .ci/dev.py setup    # only set up .venv

Set-up installs requirements-dev.txt and the project (editable) into .venv in the repo root; it
is skipped when .venv already holds exactly those requirements.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / "python"
STAMP = VENV / ".requirements.sha256"
# SAM CLI pins its own dependencies, so it gets a virtualenv of its own inside .venv.
SAM_VERSION = "1.170.0"
SAM_VENV = VENV / "sam"
SAM = SAM_VENV / ("Scripts" if os.name == "nt" else "bin") / "sam"
# The browser tests (tests/browser) drive Debian's chromium: Playwright's own download does
# not work offline. Installed with apt when missing; without apt those tests skip, loudly.
CHROMIUM = Path("/usr/bin/chromium")
# checkov pins many dependencies of its own too: its own virtualenv inside .venv.
CHECKOV_VERSION = "3.3.30"
CHECKOV_VENV = VENV / "checkov"
CHECKOV = CHECKOV_VENV / ("Scripts" if os.name == "nt" else "bin") / "checkov"
INPUTS = [
    "requirements-dev.txt",
    "layers/shared/requirements.txt",
    "functions/api/requirements.txt",
    "functions/ws_authorizer/requirements.txt",
    "pyproject.toml",
]


def run(*args: str | Path, env: dict[str, str] | None = None) -> None:
    print("+", " ".join(str(a) for a in args), flush=True)
    completed = subprocess.run([str(a) for a in args], cwd=ROOT, env=env)
    if completed.returncode != 0:
        sys.exit(completed.returncode)


def setup() -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - this script runs before any set-up
        sys.exit(f"Python 3.11+ is needed, this is {sys.version.split()[0]}")
    digest = hashlib.sha256()
    for name in INPUTS:
        digest.update((ROOT / name).read_bytes())
    wanted = digest.hexdigest()
    if PYTHON.exists() and STAMP.exists() and STAMP.read_text().strip() == wanted:
        return
    if not PYTHON.exists():
        print(f"creating {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    run(PYTHON, "-m", "pip", "install", "--quiet", "--upgrade", "pip", "setuptools", "wheel")
    run(PYTHON, "-m", "pip", "install", "--quiet", "-r", "requirements-dev.txt")
    run(PYTHON, "-m", "pip", "install", "--quiet", "--no-deps", "-e", ".")
    STAMP.write_text(wanted + "\n")


def setup_sam() -> None:
    if SAM.exists():
        return
    venv.EnvBuilder(with_pip=True).create(SAM_VENV)
    sam_python = SAM_VENV / BIN.name / "python"
    run(sam_python, "-m", "pip", "install", "--quiet", f"aws-sam-cli=={SAM_VERSION}")


def setup_chromium() -> None:
    if CHROMIUM.exists():
        return
    apt = shutil.which("apt-get")
    if apt is None:
        print("!! apt-get is unavailable: cannot install chromium; the browser tests will skip")
        return
    sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]
    run(*sudo, apt, "install", "-y", "chromium")


def setup_checkov() -> None:
    if CHECKOV.exists():
        return
    venv.EnvBuilder(with_pip=True).create(CHECKOV_VENV)
    checkov_python = CHECKOV_VENV / BIN.name / "python"
    run(checkov_python, "-m", "pip", "install", "--quiet", f"checkov=={CHECKOV_VERSION}")


def test(extra: list[str]) -> None:
    # Offline and credential-free: nothing may reach AWS.
    env = dict(
        os.environ,
        AWS_EC2_METADATA_DISABLED="true",
        AWS_DEFAULT_REGION="us-east-1",
        SAM_CLI_TELEMETRY="0",
    )
    for key in ("AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        env.pop(key, None)
    run(BIN / "ruff", "check", ".")
    run(BIN / "ruff", "format", "--check", ".")
    run(BIN / "mypy")
    run(BIN / "lint-imports")
    run(BIN / "cfn-lint", "template.yaml")
    setup_sam()
    setup_chromium()
    run(SAM, "validate", "--lint", "--template", "template.yaml", env=env)
    # Skipped checks are justified in each resource's Metadata (checkov:skip ... comment).
    setup_checkov()
    run(
        CHECKOV, "-f", "template.yaml", "--framework", "cloudformation", "--compact",
        "--quiet", "--skip-download", env=env,
    )  # fmt: skip
    run(PYTHON, "-m", "pytest", "-m", "not slow", *extra, env=env)


def main() -> None:
    task, extra = (sys.argv[1], sys.argv[2:]) if len(sys.argv) > 1 else ("", [])
    if task not in {"setup", "test", "demo", "serve"}:
        sys.exit(__doc__)
    setup()
    if task == "test":
        test(extra)
    elif task in {"demo", "serve"}:
        os.execv(BIN / "fashion-forecast", [str(BIN / "fashion-forecast"), task, *extra])


if __name__ == "__main__":
    main()
