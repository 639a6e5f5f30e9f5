"""Cold import cost of the API Lambda handler vs a bare FastAPI + Mangum + boto3 app.

Each sample is a fresh interpreter that imports the module and reports the import time, so
every subject pays the same interpreter start-up. Both create the same two boto3 clients
(dynamodb, stepfunctions). Target: the API handler costs at most 1.5x the bare app, and after
the import neither pandas, numpy nor prophet is loaded.

    .venv/bin/python benchmarks/api_cold_start.py [--runs 15]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

BARE_APP = """
import boto3
from fastapi import FastAPI
from mangum import Mangum

dynamodb = boto3.client("dynamodb")
stepfunctions = boto3.client("stepfunctions")
app = FastAPI()


@app.get("/api/health")
def health():
    return {"status": "ok"}


handler = Mangum(app, lifespan="off")
"""

# What the handler would cost with the Powertools Tracer (the X-Ray SDK) at import.
TRACED_APP = """
from aws_lambda_powertools import Tracer

tracer = Tracer(service="fashion-forecast-api", patch_modules=["botocore"])
import app  # noqa: E402,F401
"""

PROBE = """
import json, sys, time
sys.path[:0] = {paths!r}
started = time.perf_counter()
import {module}
elapsed = time.perf_counter() - started
heavy = sorted(m for m in ("pandas", "numpy", "prophet", "pmdarima", "sklearn") if m in sys.modules)
print(json.dumps({{"seconds": elapsed, "heavy": heavy}}))
"""


def sample(module: str, paths: list[str], env: dict[str, str]) -> dict[str, object]:
    code = PROBE.format(module=module, paths=paths)
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True
    )
    if out.returncode != 0:
        raise SystemExit(f"importing {module} failed:\n{out.stderr}")
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    env = dict(
        os.environ,
        AWS_DEFAULT_REGION="us-east-1",
        AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench",
        AWS_EC2_METADATA_DISABLED="true",
        TABLE_NAME="bench",
        DATA_BUCKET="bench",
        STATE_MACHINE_ARN="arn:aws:states:us-east-1:123456789012:stateMachine:bench",
        DEMAND_FUNCTION_NAME="bench",
        POWERTOOLS_TRACE_DISABLED="true",
        PYTHONDONTWRITEBYTECODE="",
    )
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "bare_app.py").write_text(BARE_APP)
        Path(tmp, "traced_app.py").write_text(TRACED_APP)
        # as in Lambda: the function's folder, then the layer (/opt/python there)
        api_dir = [str(ROOT / "functions" / "api"), str(ROOT / "layers" / "shared")]
        subjects = {
            "bare FastAPI+Mangum+boto3": ("bare_app", [tmp]),
            "functions/api/app.py": ("app", api_dir),
            "same + Powertools Tracer": ("traced_app", [tmp, *api_dir]),
        }
        for module, paths in subjects.values():  # warm the bytecode caches once
            sample(module, paths, env)
        times: dict[str, list[float]] = {name: [] for name in subjects}
        heavy: dict[str, object] = {}
        for _ in range(args.runs):  # interleave, so machine noise hits both alike
            for name, (module, paths) in subjects.items():
                result = sample(module, paths, env)
                times[name].append(float(result["seconds"]))  # type: ignore[arg-type]
                heavy[name] = result["heavy"]
    print(f"cold import, median of {args.runs} fresh interpreters")
    for name, values in times.items():
        print(
            f"  {name:<28} median {statistics.median(values) * 1000:7.1f} ms   "
            f"min {min(values) * 1000:7.1f} ms   heavy modules loaded: {heavy[name] or 'none'}"
        )
    bare, api, traced = (statistics.median(v) for v in times.values())
    print(f"  ratio api/bare: {api / bare:.2f}x (target <= 1.5x)")
    print(f"  ratio with the Powertools Tracer: {traced / bare:.2f}x (why the API runs without it)")


if __name__ == "__main__":
    main()
