#!/usr/bin/env bash
# Build the Demand image (functions/demand/Dockerfile) and run its handler on a sample event
# inside it, with the Runtime Interface Emulator that SAM CLI ships. Run by hand with a Docker
# engine; not part of CI. Prints the image size, the handler's cold import time and the first
# and second invocation times.
#
#   scripts/demand_image.sh            # uses public.ecr.aws/lambda/python:3.12 if it is present
#                                      # or can be pulled, else builds a stand-in
#                                      # (scripts/standin_base.sh) under that name
set -euo pipefail
cd "$(dirname "$0")/.."

IMAGE=${IMAGE:-fashion-forecast-demand:local}
BASE=public.ecr.aws/lambda/python:3.12
SAM_PYTHON=${SAM_PYTHON:-.venv/sam/bin/python}
[ -x "$SAM_PYTHON" ] || SAM_PYTHON=/work/main/.venv/sam/bin/python
RIE=$("$SAM_PYTHON" -c 'import samcli, pathlib; print(pathlib.Path(samcli.__file__).parent / "local/rapid/aws-lambda-rie-x86_64")')
PORT=${PORT:-9127}

if ! docker image inspect "$BASE" >/dev/null 2>&1 && ! docker pull "$BASE" >/dev/null 2>&1; then
    echo "== $BASE cannot be pulled: building the stand-in base"
    scripts/standin_base.sh
fi

echo "== docker build"
start=$(date +%s)
docker build --network host -f functions/demand/Dockerfile -t "$IMAGE" . >/tmp/demand-image-build.log 2>&1 \
    || { tail -40 /tmp/demand-image-build.log; exit 1; }
echo "built $IMAGE in $(( $(date +%s) - start )) s"
docker image ls "$IMAGE" --format 'image size: {{.Size}}'
echo "largest installed packages (MB):"
docker run --rm --entrypoint /bin/sh "$IMAGE" -c \
    'cd /var/task && du -sm * | sort -rn | head -8' | sed 's/^/  /'

ENV=(-e TABLE_NAME=DataTable -e DATA_BUCKET=data-bucket -e AWS_REGION=us-east-1
     -e AWS_DEFAULT_REGION=us-east-1 -e POWERTOOLS_TRACE_DISABLED=true
     -e POWERTOOLS_SERVICE_NAME=fashion-forecast-demand -e POWERTOOLS_LOG_LEVEL=WARNING
     -e AWS_ACCESS_KEY_ID=none -e AWS_SECRET_ACCESS_KEY=none)

echo "== cold import of the handler module (a fresh container)"
docker run --rm "${ENV[@]}" --entrypoint /var/lang/bin/python3.12 "$IMAGE" -c '
import time
t = time.perf_counter()
import app
print(f"import app: {time.perf_counter() - t:.2f} s")
import sys, prophet, pmdarima, numpy, scipy
print("numpy", numpy.__version__, "scipy", scipy.__version__, "prophet", prophet.__version__,
      "pmdarima", pmdarima.__version__)
# app.py blocks matplotlib (sys.modules entry None): prophet and pmdarima must not have loaded it
print("matplotlib:", "not loaded" if sys.modules.get("matplotlib", None) is None else "LOADED")
'

# A sample event: three years of a seasonal weekly series, forecast 12 weeks ahead.
EVENT=$(python3 - <<'PY'
import datetime as dt, json, math
start = dt.date(2021, 1, 4)
history = [
    {"week_start": (start + dt.timedelta(weeks=w)).isoformat(),
     "units": round(1000 + 300 * math.sin(2 * math.pi * w / 52) + 5 * w + 40 * math.sin(w), 1)}
    for w in range(156)
]
print(json.dumps({"mode": "engine_forecast", "history": history, "horizon_weeks": 12}))
PY
)

echo "== handler under the Runtime Interface Emulator"
# On the host network (works whether or not the engine has a bridge), the emulator on $PORT.
CID=$(docker run -d --rm --network host "${ENV[@]}" -e _HANDLER=app.handler \
    -v "$RIE:/usr/local/bin/aws-lambda-rie:ro" --entrypoint /usr/local/bin/aws-lambda-rie \
    "$IMAGE" --runtime-interface-emulator-address "127.0.0.1:$PORT" /var/runtime/bootstrap app.handler)
trap 'docker stop "$CID" >/dev/null 2>&1 || true' EXIT
for _ in $(seq 300); do  # until the emulator listens
    curl -s -o /dev/null "http://127.0.0.1:$PORT/" && break || sleep 0.2
done
URL="http://127.0.0.1:$PORT/2015-03-31/functions/function/invocations"
for run in first second; do
    out=$(curl -s -w '\n%{time_total}' -d "$EVENT" "$URL")
    body=$(printf '%s' "$out" | head -n -1)
    seconds=$(printf '%s' "$out" | tail -n 1)
    echo "$run invoke: ${seconds} s"
    printf '%s' "$body" | python3 -c '
import json, sys
answer = json.load(sys.stdin)
if "weekly" not in answer:
    sys.exit(f"handler failed: {answer}")
print("  total", round(answer["total"], 1), "weeks", len(answer["weekly"]),
      "weights", {k: round(v, 2) for k, v in answer["method_weights"].items()})'
done
docker logs "$CID" 2>&1 | grep -E "REPORT|Init Duration|ERROR|Traceback" | head -5 || true
