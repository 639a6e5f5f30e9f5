"""The no-Docker local runtime: an embedded moto server plus the resources of template.yaml.

AWS services (DynamoDB, S3, Step Functions with state machine execution on) come from moto in
server mode on 127.0.0.1. The process environment is pointed at it through the standard
AWS_ENDPOINT_URL variable, so the product code runs unchanged.

With `data_dir` set the tables and buckets persist across restarts (local.persistence): the
snapshot in it is restored after the resources are created (the sample data is loaded only
when there is none), written right after start, every `snapshot_interval` seconds when
something changed, and on stop. Step Functions executions do not survive a restart, so every
workflow that was unfinished is marked failed ("interrupted by restart") once restored. One
runtime at a time may use a data dir (a lock file in it). Without `data_dir` nothing persists.

With `api_port` set (the port the API will be served on), `app()` also plays the WebSocket API
(local.websocket): WEBSOCKET_URL becomes ws://<host>:<port>/ws and the management endpoint the
functions post progress events to is the served app itself. Without it, progress events are
only appended to the event log (GET /api/workflows/{id}/events still shows them). `app()`
serves the planner front end (the `web/` folder beside template.yaml) at `/`; in cognito mode
its config.json names moto's Cognito endpoint and the pool's app client.

Like API Gateway, the served app and its WebSocket endpoint take only callers with a credential
(local.edge): in `auth_mode` "api_key" (the default) the key is `api_key` (FF_API_KEY, serve
--api-key), else the one kept in the data dir, else a new one; in "cognito" the template's user
pool, client and groups are created in moto (local.cognito) and tokens of that pool are
verified against the JWKS moto publishes. CORS and the WebSocket Origin check allow the
runtime's own origins (http://127.0.0.1:PORT, http://localhost:PORT) and ALLOWED_ORIGINS.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import re
import socket
import subprocess
import threading
import time
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import boto3
import requests
import uvicorn
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from moto.server import ThreadedMotoServer
from starlette.middleware import Middleware
from starlette.requests import Request

from fashion_forecast import container
from fashion_forecast.adapters.aws import reset_clients
from fashion_forecast.api.app import create_app
from fashion_forecast.app.workflows import interrupt_unfinished
from fashion_forecast.ports import Container
from fashion_forecast.settings import get_settings
from fashion_forecast_local import persistence
from fashion_forecast_local.cognito import LocalPool, create_pool
from fashion_forecast_local.edge import (
    CredentialCheck,
    LocalApiKey,
    LocalEdge,
    api_key_check,
    authorizer,
    cognito_check,
    local_api_key,
)
from fashion_forecast_local.lambdas import InProcessLambdas
from fashion_forecast_local.notifications import NotificationLog
from fashion_forecast_local.seed import seed_sample_data
from fashion_forecast_local.template import ACCOUNT_ID, REGION, Template
from fashion_forecast_local.websocket import WEBSOCKET_PATH, LocalWebSocketGateway

API_FUNCTION = "ApiFunction"
AUTH_MODES = {"api_key": "ApiKey", "cognito": "Cognito"}  # -> the template's AuthMode
API_KEY_VARIABLE = "FF_API_KEY"
WEBSOCKET_FUNCTION = "WebSocketFunction"
SNAPSHOT_INTERVAL_SECONDS = 10.0
INTERRUPTED_BY_RESTART = "interrupted by restart"
LOCK_NAME = ".lock"
WEB_FOLDER = "web"  # the planner front end, beside template.yaml; served at /

logger = logging.getLogger(__name__)

MOTO_ASL_LOGGER = "moto.stepfunctions.parser.asl.component.eval_component"


# the paths the ASL's Choices probe with `IsPresent` (IsRetry, FromText)
PROBED_PATHS = ("'$.resume_from'", "'$.text'")


class _FreshRunProbeFilter(logging.Filter):
    """moto's ASL interpreter logs an error for the path an `IsPresent` rule finds missing,
    although the rule then answers false as it should: every fresh run's `IsRetry` Choice
    and every forecast's `FromText` (statemachine/workflow.asl.json) would print one. Only
    those records are dropped."""

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        return not ("NoSuchJsonPathError" in text and any(p in text for p in PROBED_PATHS))


def quiet_fresh_run_probe() -> None:
    asl = logging.getLogger(MOTO_ASL_LOGGER)
    if not any(isinstance(f, _FreshRunProbeFilter) for f in asl.filters):
        asl.addFilter(_FreshRunProbeFilter())


class DataDirInUseError(RuntimeError):
    pass


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def aws_environment(endpoint: str) -> dict[str, str]:
    """Variables that point boto3 (and the moto SFN interpreter) at the local endpoint."""
    port = endpoint.rsplit(":", 1)[1]
    return {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_SESSION_TOKEN": "local",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "AWS_EC2_METADATA_DISABLED": "true",
        "MOTO_PORT": port,
        "MOTO_ACCOUNT_ID": ACCOUNT_ID,
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_DEV": "false",
    }


def git_commit() -> str:
    """The commit of the checkout the runtime runs from (BuildCommit, shown by GET
    /api/health); "" outside a git checkout or without git."""
    try:
        found = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            cwd=Path(__file__).resolve().parent,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    commit = found.stdout.strip()
    return commit if found.returncode == 0 and re.fullmatch(r"[0-9a-f]{40}", commit) else ""


def front_end_config(folder: Path, pool: LocalPool | None) -> dict[str, Any]:
    """web/config.json as the runtime serves it: in cognito mode with moto's Cognito endpoint
    and the pool's app client, so the page's sign-in (InitiateAuth) goes to the pool the edge
    trusts."""
    path = folder / "config.json"
    config: dict[str, Any] = json.loads(path.read_text()) if path.is_file() else {}
    if pool is not None:
        config["cognito"] = {"endpoint": f"{pool.endpoint}/", "clientId": pool.client_id}
    return config


def mount_front_end(app: FastAPI, folder: Path, pool: LocalPool | None = None) -> FastAPI:
    """Serve the static front end (web/) at `/`, after every API route (a mount at the root
    only sees what no route matched; its 404s keep the error shape); its config.json names
    the runtime's user pool in cognito mode (front_end_config)."""
    if not folder.is_dir():
        return app
    if pool is not None:
        config = front_end_config(folder, pool)

        async def served_config(request: Request) -> JSONResponse:
            return JSONResponse(config, headers={"cache-control": "no-store"})

        app.add_route("/config.json", served_config, methods=["GET"], include_in_schema=False)
    app.mount("/", StaticFiles(directory=folder, html=True), name="web")
    return app


@dataclass
class LocalRuntime(AbstractContextManager["LocalRuntime"]):
    """Start with `with LocalRuntime() as rt:`; `rt.environment` is what the app runs with."""

    template_path: Path | None = None
    moto_port: int | None = None
    seed: bool = True
    parameter_overrides: dict[str, str] = field(default_factory=dict)
    extra_environment: dict[str, str] = field(default_factory=dict)
    api_port: int | None = None  # where the API (and the WebSocket endpoint) will be served
    api_host: str = "127.0.0.1"
    data_dir: Path | None = None  # keep the tables and buckets here across restarts
    auth_mode: str = "api_key"  # or "cognito" (AUTH_MODES)
    api_key: str | None = None  # api_key mode: the key (default FF_API_KEY, the data dir's, new)
    credential: LocalApiKey | None = None  # api_key mode: the key in effect, once started
    pool: LocalPool | None = None  # cognito mode: moto's user pool, once started
    check: CredentialCheck | None = None
    snapshot_interval: float = SNAPSHOT_INTERVAL_SECONDS
    environment: dict[str, str] = field(default_factory=dict)
    lambdas: InProcessLambdas | None = None
    restored: bool = False  # whether start() restored a snapshot (else: a first start)
    interrupted: list[str] = field(default_factory=list)  # workflows failed by the restart
    snapshotter: persistence.Snapshotter | None = None
    notifications: NotificationLog | None = None  # prints each SNS notification on one line
    _started: bool = False
    _lock_file: int | None = None
    _stopping: threading.Event = field(default_factory=threading.Event)
    _snapshot_thread: threading.Thread | None = None
    _served: tuple[uvicorn.Server, threading.Thread] | None = None
    _server: ThreadedMotoServer | None = None
    _saved_env: dict[str, str | None] = field(default_factory=dict)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.moto_port}"

    def start(self) -> LocalRuntime:
        """Start moto, create the template's resources, restore the data dir's snapshot (or
        load the sample data) and start the periodic snapshots. A failed start leaves nothing
        running, and never writes over the data dir's snapshot."""
        snapshot = None
        if self.data_dir is not None:
            self._lock_data_dir(self.data_dir)
            try:
                snapshot = persistence.read(self.data_dir)  # a bad file fails before moto starts
            except BaseException:
                self._unlock_data_dir()
                raise
        try:
            self._start(snapshot)
            if self.snapshotter is not None:
                self.snapshotter.save()  # the seeded or interrupted state is on disk at once
        except BaseException:
            self.stop()  # not started: writes no snapshot
            raise
        self._started = True
        if self.snapshotter is not None:
            self._stopping.clear()
            self._snapshot_thread = threading.Thread(
                target=self._snapshot_periodically, name="local-snapshots", daemon=True
            )
            self._snapshot_thread.start()
        return self

    def _start(self, snapshot: persistence.Snapshot | None) -> None:
        self.moto_port = self.moto_port or free_port()
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        quiet_fresh_run_probe()
        self._server = ThreadedMotoServer(
            ip_address="127.0.0.1", port=self.moto_port, verbose=False
        )
        self._server.start()
        # moto keeps its state per process, not per server: start from an empty AWS, even
        # after another runtime (or a test's moto) in this process left resources behind
        requests.post(f"{self.endpoint}/moto-api/reset", timeout=5).raise_for_status()
        self._configure_moto(execute_state_machine=True)
        if self.auth_mode not in AUTH_MODES:
            raise ValueError(f"auth_mode must be one of {', '.join(AUTH_MODES)}")
        extended_origins = os.environ.get("ALLOWED_ORIGINS", "")
        overrides = {
            "AuthMode": AUTH_MODES[self.auth_mode],
            "BuildCommit": git_commit(),
            **self.parameter_overrides,
        }
        template = Template.load(self.template_path, **overrides)
        env = template.environment()
        env.update(template.function_environment(API_FUNCTION))
        env.update(aws_environment(self.endpoint))  # over the template's empty AWS_ENDPOINT_URL
        env["API_ROOT_PATH"] = ""  # served at the root locally, not under a stage
        env.update(self.websocket_environment())
        env["ALLOWED_ORIGINS"] = ",".join(self.allowed_origins(extended_origins))
        env.update(self.extra_environment)
        self._apply(env)
        template.create_all(self.client)
        self.check = self._credential_check(template, env["ALLOWED_ORIGINS"])
        topic = env.get("NOTIFICATION_TOPIC_ARN")
        if topic:
            self.notifications = NotificationLog(
                self.client, topic, lambda line: print(line, flush=True)
            )
            self.notifications.start()
        self.lambdas = InProcessLambdas(template).install()
        self.environment = env
        if self.data_dir is not None:
            self.snapshotter = persistence.Snapshotter(
                self.data_dir,
                tables=[
                    template.physical_name(t) for t in template.of_type("AWS::DynamoDB::Table")
                ],
                buckets=[template.physical_name(b) for b in template.of_type("AWS::S3::Bucket")],
                client=self.client,
            )
        if self.snapshotter is not None and snapshot is not None:
            self.snapshotter.restore(snapshot)
            self.restored = True
            self.interrupted = interrupt_unfinished(self.container(), INTERRUPTED_BY_RESTART)
        elif self.seed:
            seed_sample_data(self.container().sales)

    def allowed_origins(self, extended: str = "") -> list[str]:
        """The runtime's own origins (when it serves on a port), then ALLOWED_ORIGINS."""
        own = []
        if self.api_port is not None:
            own = [f"http://127.0.0.1:{self.api_port}", f"http://localhost:{self.api_port}"]
        more = [o.strip().rstrip("/") for o in extended.split(",") if o.strip()]
        return list(dict.fromkeys(own + more))

    def _credential_check(self, template: Template, origins: str) -> CredentialCheck:
        allowed = frozenset(o for o in origins.split(",") if o)
        if self.auth_mode == "cognito":
            self.pool = create_pool(template, self.endpoint)
            if self.data_dir is not None:
                self.pool.save(self.data_dir)
            return cognito_check(
                authorizer(template),
                endpoint=self.endpoint,
                region=REGION,
                pool_id=self.pool.pool_id,
                client_id=self.pool.client_id,
                allowed_origins=allowed,
            )
        given = self.api_key or os.environ.get(API_KEY_VARIABLE) or None
        self.credential = local_api_key(given, self.data_dir)
        return api_key_check(authorizer(template), self.credential.value, allowed)

    @property
    def auth_headers(self) -> dict[str, str]:
        """What a client sends in api_key mode (cognito mode: a user's token, local.cognito)."""
        if self.credential is None:
            raise RuntimeError("no API key: the runtime is not started in api_key mode")
        return {"x-api-key": self.credential.value}

    def save_snapshot(self) -> bool:
        """Write the data dir's snapshot now if anything changed; returns whether it wrote."""
        if self.snapshotter is None or not self._started:
            return False
        return self.snapshotter.save()

    def _snapshot_periodically(self) -> None:
        while not self._stopping.wait(self.snapshot_interval):
            try:
                self.save_snapshot()
            except Exception:  # keep serving; the next round (or the stop) tries again
                logger.exception("could not write the snapshot of %s", self.data_dir)

    def _lock_data_dir(self, data_dir: Path) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(data_dir / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(descriptor)
            raise DataDirInUseError(
                f"the data dir {data_dir} is in use by another local runtime"
            ) from None
        self._lock_file = descriptor

    def _unlock_data_dir(self) -> None:
        if self._lock_file is not None:
            os.close(self._lock_file)  # closing releases the lock
            self._lock_file = None

    def container(self) -> Container:
        """The API's container, from the environment the runtime set (as the API function
        builds it in the cloud)."""
        return container.build(get_settings().require("STATE_MACHINE_ARN", "DEMAND_FUNCTION_NAME"))

    def websocket_environment(self) -> dict[str, str]:
        """WEBSOCKET_URL and the management endpoint: the served app, or off (empty)."""
        if self.api_port is None:
            return {"WEBSOCKET_URL": "", "WEBSOCKET_MANAGEMENT_ENDPOINT": ""}
        host = "127.0.0.1" if self.api_host in {"0.0.0.0", "::", ""} else self.api_host
        base = f"{host}:{self.api_port}"
        return {
            "WEBSOCKET_URL": f"ws://{base}{WEBSOCKET_PATH}",
            "WEBSOCKET_MANAGEMENT_ENDPOINT": f"http://{base}",
            "FRONTEND_BASE_URL": f"http://{base}",  # the notifications' links
        }

    def app(self) -> FastAPI:
        """The API app to serve, with the local WebSocket API (endpoint + @connections)."""
        if self.lambdas is None:
            raise RuntimeError("start the runtime before building its app")
        if self.check is None:
            raise RuntimeError("start the runtime before building its app")
        lambdas = self.lambdas
        name = lambdas.template.physical_name(WEBSOCKET_FUNCTION)
        gateway = LocalWebSocketGateway(lambda event: lambdas.invoke(name, event), check=self.check)
        edge = Middleware(LocalEdge, check=self.check)
        app = gateway.install(create_app(self.container(), edge=edge))
        return mount_front_end(app, lambdas.template.path.parent / WEB_FOLDER, self.pool)

    def serve_in_thread(self, timeout: float = 30) -> uvicorn.Server:
        """Serve app() on api_host:api_port from a daemon thread (demo, benchmarks); stop()
        shuts it down."""
        if self.api_port is None:
            raise RuntimeError("serve_in_thread needs api_port")
        server = uvicorn.Server(
            uvicorn.Config(self.app(), host=self.api_host, port=self.api_port, log_level="warning")
        )
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        self._served = (server, thread)
        deadline = time.monotonic() + timeout
        while not server.started:
            if time.monotonic() > deadline:
                raise RuntimeError(f"the API did not start on port {self.api_port}")
            time.sleep(0.05)
        return server

    def _configure_moto(self, *, execute_state_machine: bool) -> None:
        requests.post(
            f"{self.endpoint}/moto-api/config",
            json={"stepfunctions": {"execute_state_machine": execute_state_machine}},
            timeout=5,
        ).raise_for_status()

    def client(self, service: str) -> Any:
        return boto3.client(service, endpoint_url=self.endpoint, region_name=REGION)

    def stop(self) -> None:
        """Stop serving, write the last snapshot (data dir), then stop moto. A snapshot that
        cannot be written is raised after everything has stopped."""
        try:
            if self._served is not None:
                server, thread = self._served
                server.should_exit = True
                thread.join(10)
                self._served = None
            if self.notifications is not None:
                self.notifications.stop()
                self.notifications = None
            if self._snapshot_thread is not None:
                self._stopping.set()
                self._snapshot_thread.join()
                self._snapshot_thread = None
            self.save_snapshot()
        finally:
            self._started = False
            self._teardown()

    def _teardown(self) -> None:
        self.snapshotter = None
        self._unlock_data_dir()
        if self.lambdas is not None:
            self.lambdas.uninstall()
            self.lambdas = None
        if self._server is not None:
            self._configure_moto(execute_state_machine=False)  # moto's config is process-wide
            self._server.stop()
            self._server = None
        for key, value in self._saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        self._saved_env.clear()
        reset_clients()

    def _apply(self, env: dict[str, str]) -> None:
        for key, value in env.items():
            self._saved_env.setdefault(key, os.environ.get(key))
            os.environ[key] = value
        get_settings.cache_clear()
        reset_clients()

    def __enter__(self) -> LocalRuntime:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
