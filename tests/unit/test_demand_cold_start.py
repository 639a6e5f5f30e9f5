"""The Demand Lambda's module blocks matplotlib (functions/demand/app.py): a cold container
imports the handler, forecasts with every member, prophet and pmdarima included, and never
loads matplotlib, whose import costs start-up time and wants a writable MPLCONFIGDIR.

In a fresh interpreter, since the test process may have imported prophet already."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]

CHILD = r"""
import datetime as dt, json, math, sys
sys.path.insert(0, sys.argv[1])  # the handler's folder, as Lambda has it (LAMBDA_TASK_ROOT)
import app  # noqa: F401  the Demand Lambda's module, as its INIT phase imports it
blocked_at_import = "matplotlib" in sys.modules and sys.modules["matplotlib"] is None
from fashion_forecast_local.lambdas import LambdaContext
start = dt.date(2021, 1, 4)
history = [
    {"week_start": (start + dt.timedelta(weeks=w)).isoformat(),
     "units": round(1000 + 300 * math.sin(2 * math.pi * w / 52) + 5 * w + 40 * math.sin(w), 1)}
    for w in range(156)
]
event = {"mode": "engine_forecast", "history": history, "horizon_weeks": 12}
answer = app.handler(event, LambdaContext("demand"))
print(json.dumps({
    "answer": answer,
    "blocked_at_import": blocked_at_import,
    "matplotlib_is_none": "matplotlib" in sys.modules and sys.modules["matplotlib"] is None,
    "matplotlib_modules": sorted(m for m in sys.modules if m.startswith("matplotlib.")),
    "loaded": [m for m in ("prophet", "pmdarima", "statsmodels") if m in sys.modules],
}))
"""

ENV = {
    "TABLE_NAME": "cold-start",
    "DATA_BUCKET": "cold-start",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_METRICS_DISABLED": "true",
    "POWERTOOLS_LOG_LEVEL": "WARNING",
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
}


def test_the_demand_handler_forecasts_without_ever_importing_matplotlib() -> None:
    env = {**os.environ, **ENV}
    env["PYTHONPATH"] = os.pathsep.join(
        [str(REPO_ROOT / "layers" / "shared"), str(REPO_ROOT / "local"), env.get("PYTHONPATH", "")]
    )
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(REPO_ROOT / "functions" / "demand")],
        capture_output=True,
        text=True,
        env=env,
        timeout=240,
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    answer = out["answer"]
    assert "error" not in answer, answer
    assert len(answer["weekly"]) == 12 and answer["total"] > 0
    # every member ran: a prophet or pmdarima broken by the block would be dropped, not raise
    assert answer["dropped"] == {}
    assert set(answer["method_weights"]) == {
        "seasonal_naive",
        "scaled_seasonal_naive",
        "prophet",
        "arima",
    }
    assert set(out["loaded"]) == {"prophet", "pmdarima", "statsmodels"}
    assert out["blocked_at_import"] and out["matplotlib_is_none"]
    assert out["matplotlib_modules"] == []
    # prophet.plot logs "Importing matplotlib failed" at ERROR when prophet is imported with
    # its loggers at their defaults; the member quiets them before importing it
    assert "matplotlib" not in proc.stderr, proc.stderr
