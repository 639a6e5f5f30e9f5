#!/usr/bin/env bash
# Run `sam local start-api` against the local runtime's AWS (moto) and call the API through it:
# GET /api/health/ready and one workflow start (POST /api/workflows/forecast), then follow that
# workflow to its approval. Run by hand with a Docker engine and the python3.12 Lambda base image
# present (pulled, or scripts/standin_base.sh); not part of CI.
#
# The API function runs in SAM's container (the zip function on python3.12, its layer built by
# `sam build`); its AWS calls go to the moto endpoint of `fashion-forecast serve --aws-port`
# (env.json: AWS_ENDPOINT_URL, host.docker.internal), whose state machine runs the agent Lambdas
# in-process. The container reaches the host at Docker's bridge gateway (--add-host
# host.docker.internal:host-gateway); the local runtime binds 127.0.0.1 only, so
# scripts/forward.py forwards the gateway's ports to it.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${VENV:-.venv}
[ -x "$VENV/bin/python" ] || VENV=/work/main/.venv
SAM=${SAM:-$VENV/sam/bin/sam}
API_PORT=${API_PORT:-3000}
SERVE_PORT=8000   # env.json: WEBSOCKET_MANAGEMENT_ENDPOINT
AWS_PORT=4566     # env.json: AWS_ENDPOINT_URL
export SAM_CLI_TELEMETRY=0 AWS_EC2_METADATA_DISABLED=true AWS_DEFAULT_REGION=us-east-1
export AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local
# sam build needs the runtime's Python on PATH (pyenv: several versions at once)
python3.12 --version >/dev/null 2>&1 || export PYENV_VERSION=${PYENV_VERSION:-3.11.7:3.12.1}

DATA=$(mktemp -d)
cleanup() {
    status=$?
    if [ "$status" != 0 ] && [ -f "$DATA/sam.log" ]; then
        echo "== failed ($status): the end of sam local's log"; tail -40 "$DATA/sam.log"
    fi
    [ -n "${SAM_PID:-}" ] && kill "$SAM_PID" 2>/dev/null || true
    [ -n "${SERVE_PID:-}" ] && kill "$SERVE_PID" 2>/dev/null || true
    [ -n "${FORWARD_PID:-}" ] && kill "$FORWARD_PID" 2>/dev/null || true
    wait 2>/dev/null || true
    # warm containers outlive sam's exit: stop the ones it started for this template
    docker ps -q --filter "label=sam.cli.container.type=lambda" | xargs -r docker stop >/dev/null
    rm -rf "$DATA"
}
trap cleanup EXIT

echo "== local runtime: API :$SERVE_PORT, AWS (moto) :$AWS_PORT"
PYTHONPATH=layers/shared:local "$VENV/bin/python" -m fashion_forecast_local.cli serve \
    --port "$SERVE_PORT" --aws-port "$AWS_PORT" --data-dir "$DATA" --log-level warning \
    >"$DATA/serve.log" 2>&1 &
SERVE_PID=$!
for _ in $(seq 150); do
    curl -sf "http://127.0.0.1:$SERVE_PORT/api/health" >/dev/null && break || sleep 0.2
done

GATEWAY=$(docker network inspect bridge --format '{{range .IPAM.Config}}{{.Gateway}}{{end}}')
[ -n "$GATEWAY" ] || GATEWAY=$(ip -4 -o addr show docker0 | awk '{print $4}' | cut -d/ -f1)
[ -n "$GATEWAY" ] || { echo "no Docker bridge gateway found"; exit 1; }
python3 scripts/forward.py "$GATEWAY" "$AWS_PORT" "$SERVE_PORT" &
FORWARD_PID=$!

echo "== sam build (zip functions and the layer; the Demand image is not needed here)"
"$SAM" build --exclude DemandFunction >"$DATA/build.log" 2>&1 || { tail -30 "$DATA/build.log"; exit 1; }

echo "== sam local start-api :$API_PORT"
# --invoke-image: the python3.12 base as it is present locally (SAM would otherwise build on
# the ":3.12-x86_64" tag and pull it).
export SAM_CLI_CONTAINER_CONNECTION_TIMEOUT=${SAM_CLI_CONTAINER_CONNECTION_TIMEOUT:-300}
"$SAM" local start-api --env-vars env.json --add-host host.docker.internal:host-gateway \
    --skip-pull-image \
    --invoke-image public.ecr.aws/lambda/python:3.12 \
    --warm-containers LAZY --port "$API_PORT" >"$DATA/sam.log" 2>&1 &
SAM_PID=$!
for _ in $(seq 150); do
    curl -s -o /dev/null "http://127.0.0.1:$API_PORT/" && break || sleep 0.2
done
API="http://127.0.0.1:$API_PORT"

call() {  # METHOD PATH [BODY]: prints status, time and body
    local out
    out=$(curl -s -X "$1" -H 'content-type: application/json' ${3:+-d "$3"} \
        -w '\n%{http_code} %{time_total}' "$API$2")
    echo "$1 $2 -> $(printf '%s' "$out" | tail -n 1 | awk '{print $1 " in " $2 " s"}')"
    printf '%s' "$out" | head -n -1 | cut -c1-400
    echo
}

call GET /api/health/ready
started=$(curl -s -X POST -H 'content-type: application/json' \
    -d '{"category_id": "womens_dresses", "parameters": {"forecast_horizon_weeks": 12, "season_start_date": "2025-03-03", "replenishment_strategy": "none", "markdown_checkpoint_week": 6}}' \
    -w '\n%{http_code}' "$API/api/workflows/forecast")
echo "POST /api/workflows/forecast -> $(printf '%s' "$started" | tail -n 1)"
printf '%s' "$started" | head -n -1 | cut -c1-400; echo
id=$(printf '%s' "$started" | head -n -1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["workflow_id"])')
for _ in $(seq 120); do  # until the agents have run and the approval is asked for
    status=$(curl -s "$API/api/workflows/$id" | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])')
    case "$status" in awaiting_approval|completed|failed) break ;; esac
    sleep 1
done
call GET "/api/workflows/$id"
grep -E "Mounting|Invoking|START|REPORT|Traceback|Error" "$DATA/sam.log" | head -8 || true
