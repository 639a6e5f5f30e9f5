"""`fashion-forecast`: the local runtime's command line."""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import Any

from fashion_forecast_local import sample_data

DATA_DIR = Path(".local-data")  # in the working directory; .gitignore'd in the repository
DRAIN_SECONDS = 10  # how long in-flight requests may take to finish after SIGTERM / SIGINT


def _quiet_product_logs(level: str) -> dict[str, str]:
    """The product's JSON logs and metrics (Powertools) only at debug; otherwise warnings only,
    so a request costs one access line. Set before any Logger is built (at import)."""
    debug = level == "debug"
    quiet = {
        "POWERTOOLS_LOG_LEVEL": "DEBUG" if debug else "WARNING",
        "POWERTOOLS_METRICS_DISABLED": "false" if debug else "true",
    }
    os.environ.update(quiet)
    return quiet


class _StopSignals:
    """SIGTERM and SIGINT as a request to stop, for the whole of `serve`: while the runtime
    starts (serving is then skipped), while uvicorn serves (uvicorn installs its own handlers
    for that time and re-raises the signal at the end, which lands here) and while the last
    snapshot is written. A second SIGINT forces the exit (KeyboardInterrupt)."""

    def __init__(self) -> None:
        self.received: list[int] = []
        self.server: Any = None  # the uvicorn.Server once it exists
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self.handle)

    def handle(self, sig: int, frame: FrameType | None) -> None:
        if sig == signal.SIGINT and signal.SIGINT in self.received:
            raise KeyboardInterrupt
        self.received.append(sig)
        if self.server is not None:
            self.server.should_exit = True


def _serve(args: argparse.Namespace) -> int:
    quiet = _quiet_product_logs(args.log_level)
    stop = _StopSignals()
    import uvicorn

    from fashion_forecast_local.persistence import SnapshotError, snapshot_path
    from fashion_forecast_local.runtime import DataDirInUseError, LocalRuntime

    data_dir = Path(args.data_dir).resolve()
    runtime = LocalRuntime(
        template_path=args.template,
        api_port=args.port,
        api_host=args.host,
        moto_port=args.aws_port,
        extra_environment=quiet,
        data_dir=data_dir,
        auth_mode=args.auth,
        api_key=args.api_key,
    )
    try:
        runtime.start()
    except (SnapshotError, DataDirInUseError) as exc:
        print(f"fashion-forecast serve: {exc}", file=sys.stderr, flush=True)
        return 1
    server = None
    try:
        if runtime.restored:
            kept = f"restored from {snapshot_path(data_dir)}"
            if runtime.interrupted:
                kept += (
                    f"; {len(runtime.interrupted)} unfinished workflow(s) marked failed "
                    "(interrupted by restart)"
                )
        else:
            kept = f"first start: bundled sample data, kept in {data_dir}"
        print(f"Data: {kept}", flush=True)
        print(_credential_banner(runtime), flush=True)
        print(
            f"Fashion Forecast local runtime: API on http://{args.host}:{args.port} "
            f"(docs at /docs), progress stream on {runtime.environment['WEBSOCKET_URL']}, "
            f"AWS services (moto) on {runtime.endpoint}",
            flush=True,
        )
        server = uvicorn.Server(
            uvicorn.Config(
                runtime.app(),
                host=args.host,
                port=args.port,
                log_level=args.log_level,
                timeout_graceful_shutdown=DRAIN_SECONDS,
            )
        )
        stop.server = server
        if not stop.received:
            server.run()  # returns once a signal's graceful shutdown (the drain) is done
    finally:
        try:
            runtime.stop()  # the last snapshot, after the server has stopped
        except OSError as exc:
            print(f"fashion-forecast serve: snapshot not written: {exc}", file=sys.stderr)
            return 1
    print(f"Data kept in {snapshot_path(data_dir)}", flush=True)
    if stop.received or (server is not None and server.started):
        return 0
    return 3  # uvicorn's start-up failure


def _credential_banner(runtime: Any) -> str:
    """How to call: the API key (its value only when this start generated it, so it is
    printed once), or how to get a Cognito token. Origins that may call from a browser."""
    origins = runtime.environment.get("ALLOWED_ORIGINS", "")
    if runtime.pool is not None:
        how = (
            f"Auth: Cognito (user pool {runtime.pool.pool_id}); get a token with "
            "`fashion-forecast local-user add NAME --group planner` and send "
            "Authorization: Bearer <token> (WebSocket: ?token=<token>)"
        )
    else:
        key = runtime.credential
        if key.generated:
            where = f", kept in {key.path}" if key.path else ""
            how = f"Auth: API key (generated{where}): {key.value}"
        elif key.path is not None:
            how = f"Auth: API key kept in {key.path}"
        else:
            how = "Auth: API key from --api-key / FF_API_KEY"
        how += "; send it as x-api-key (WebSocket: ?api_key=<key>)"
    return f"{how}. CORS origins: {origins}"


def _local_user(args: argparse.Namespace) -> int:
    from botocore.exceptions import BotoCoreError, ClientError

    from fashion_forecast_local.cognito import LocalPool

    try:
        pool = LocalPool.load(Path(args.data_dir).resolve())
        token = pool.add_user(args.name, args.group or [], password=args.password)
    except (FileNotFoundError, ValueError) as exc:
        print(f"fashion-forecast local-user: {exc}", file=sys.stderr)
        return 1
    except (BotoCoreError, ClientError) as exc:
        print(
            f"fashion-forecast local-user: the user pool of `serve --auth cognito` did not "
            f"answer ({type(exc).__name__}); is that serve still running with --data-dir "
            f"{args.data_dir}?",
            file=sys.stderr,
        )
        return 1
    print(token)
    return 0


def _demo(args: argparse.Namespace) -> int:
    _quiet_product_logs("warning")
    from fashion_forecast_local.demo import DemoError, run_demo

    try:
        run_demo(scenario=args.scenario, auth_mode=args.auth)
    except DemoError as exc:
        print(f"demo failed: {exc}", file=sys.stderr)
        return 1
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fashion-forecast", description="Fashion Forecast local runtime (no Docker needed)."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the API on an embedded AWS (moto) stack")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--template", type=Path, default=None, help="template.yaml to build from")
    serve.add_argument(
        "--aws-port",
        type=int,
        default=None,
        help="port of the embedded AWS endpoint (default: a free one); fix it to point other "
        "clients at it, e.g. `sam local start-api --env-vars env.json`",
    )
    serve.add_argument(
        "--data-dir",
        type=Path,
        default=DATA_DIR,
        help="where the tables and buckets are kept across restarts (default: ./.local-data); "
        "the sample data is loaded when it holds no snapshot yet",
    )
    serve.add_argument(
        "--log-level",
        default="info",
        choices=["debug", "info", "warning", "error"],
        help="info (default): one access line per request; debug: also the product's JSON logs",
    )
    serve.add_argument(
        "--auth",
        default="api_key",
        choices=["api_key", "cognito"],
        help="api_key (default): callers send x-api-key; cognito: a user pool in moto, tokens "
        "from `local-user add`",
    )
    serve.add_argument(
        "--api-key",
        default=None,
        help="the API key (default: $FF_API_KEY, else the one kept in the data dir, else new)",
    )
    serve.set_defaults(func=_serve)
    users = commands.add_parser("local-user", help="users of `serve --auth cognito`")
    user_commands = users.add_subparsers(dest="user_command", required=True)
    add = user_commands.add_parser(
        "add", help="add a user to groups of the running serve's pool and print an id token"
    )
    add.add_argument("name")
    add.add_argument(
        "--group",
        action="append",
        choices=["viewer", "planner", "approver"],
        help="a group (repeat for several)",
    )
    add.add_argument(
        "--password",
        default=None,
        help="the password the planner page's Cognito sign-in takes (default: a random one; "
        "12+ characters with upper and lower case and a digit)",
    )
    add.add_argument("--data-dir", type=Path, default=DATA_DIR, help="serve's --data-dir")
    add.set_defaults(func=_local_user)
    demo = commands.add_parser(
        "demo", help="run a season on the bundled sample data in the local runtime"
    )
    demo.add_argument(
        "--scenario",
        default="shock_up",
        choices=list(sample_data.SCENARIOS),
        help="which bundled season's weekly sales to play (default: shock_up); the demo ends "
        "with a one-line verdict read from the season's stored inventory position",
    )
    demo.add_argument("--auth", default="api_key", choices=["api_key", "cognito"])
    demo.set_defaults(func=_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
