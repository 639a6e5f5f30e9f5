"""`fashion-forecast`: the local runtime's command line."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path


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


def _serve(args: argparse.Namespace) -> int:
    quiet = _quiet_product_logs(args.log_level)
    import uvicorn

    from fashion_forecast_local.runtime import LocalRuntime

    runtime = LocalRuntime(
        template_path=args.template,
        api_port=args.port,
        api_host=args.host,
        extra_environment=quiet,
    )
    with runtime:
        app = runtime.app()
        print(
            f"Fashion Forecast local runtime: API on http://{args.host}:{args.port} "
            f"(docs at /docs), progress stream on {runtime.environment['WEBSOCKET_URL']}, "
            f"AWS services (moto) on {runtime.endpoint}",
            flush=True,
        )
        uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level)
    return 0


def _demo(args: argparse.Namespace) -> int:
    _quiet_product_logs("warning")
    from fashion_forecast_local.demo import DemoError, run_demo

    try:
        run_demo()
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
        "--log-level",
        default="info",
        choices=["debug", "info", "warning", "error"],
        help="info (default): one access line per request; debug: also the product's JSON logs",
    )
    serve.set_defaults(func=_serve)
    demo = commands.add_parser(
        "demo", help="run a season on the bundled sample data in the local runtime"
    )
    demo.set_defaults(func=_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
