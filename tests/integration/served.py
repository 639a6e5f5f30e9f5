"""`fashion-forecast serve` in a subprocess on a free port, or one app under uvicorn in a thread,
for tests that talk to it over the network; stopped when the context ends. A served subprocess's
data dir is a fresh temporary folder unless the test passes one (to restart on the same data).

A served subprocess runs in API key mode with a key of the test's (FF_API_KEY): requests send
`server.headers`, WebSocket clients add `server.ws_credential` to their query string. In
Cognito mode (`auth="cognito"`) `server.token(name, groups)` signs a local user in."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from fashion_forecast_local.runtime import free_port


@dataclass
class ServedProcess:
    base: str
    port: int
    moto: str
    process: subprocess.Popen[bytes]
    data_dir: Path
    output: list[str] = field(default_factory=list)
    api_key: str | None = None  # api_key mode
    auth: str = "api_key"
    sent_credentials: list[str] = field(default_factory=list)  # tokens handed out by token()

    @property
    def headers(self) -> dict[str, str]:
        """A credential with every role (api_key mode: the key; cognito: a user in every group)."""
        if self.api_key is not None:
            return {"x-api-key": self.api_key}
        return {"Authorization": f"Bearer {self.token('test-user', EVERY_GROUP)}"}

    @property
    def ws_credential(self) -> str:
        if self.api_key is not None:
            return f"api_key={self.api_key}"
        return f"token={self.token('test-user', EVERY_GROUP)}"

    def token(self, name: str, groups: list[str]) -> str:
        """An id token of a local user in `groups` (cognito mode), from the CLI verb."""
        done = subprocess.run(
            [sys.executable, "-m", "fashion_forecast_local.cli", "local-user", "add", name]
            + [arg for group in groups for arg in ("--group", group)]
            + ["--data-dir", str(self.data_dir)],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        token = done.stdout.strip()
        self.sent_credentials.append(token)
        return token

    def wait_for_output(self, text: str, timeout: float = 60) -> None:
        """Until a line containing `text` has been printed (fails the test on timeout)."""
        deadline = time.monotonic() + timeout
        while not any(text in line for line in list(self.output)):
            if time.monotonic() > deadline:
                pytest.fail(f"serve never printed {text!r}:\n" + "".join(self.output))
            time.sleep(0.05)


EVERY_GROUP = ["viewer", "planner", "approver"]


@contextmanager
def serve_subprocess(
    timeout: float = 90,
    data_dir: Path | None = None,
    auth: str = "api_key",
    env: dict[str, str] | None = None,
    args: list[str] | None = None,
) -> Iterator[ServedProcess]:
    """`env`: more environment for serve; `args`: more arguments (e.g. --log-level debug)."""
    with ExitStack() as stack:
        if data_dir is None:
            data_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="serve-")))
        yield from _served(timeout, data_dir, auth, env or {}, args or [])


def _served(
    timeout: float, data_dir: Path, auth: str, extra_env: dict[str, str], args: list[str]
) -> Iterator[ServedProcess]:
    port = free_port()
    env = dict(os.environ, AWS_EC2_METADATA_DISABLED="true")
    env.pop("POWERTOOLS_LOG_LEVEL", None)  # serve's own default: one access line per request
    api_key = None
    if auth == "api_key":
        api_key = env.setdefault("FF_API_KEY", secrets.token_urlsafe(24))
    env.update(extra_env)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "fashion_forecast_local.cli",
            "serve",
            "--port",
            str(port),
            "--data-dir",
            str(data_dir),
            "--auth",
            auth,
            *args,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
    )
    output: list[str] = []
    assert process.stdout is not None
    stream = process.stdout
    threading.Thread(  # keep the pipe drained: a full pipe would block the server
        target=lambda: output.extend(line.decode(errors="replace") for line in stream),
        daemon=True,
    ).start()
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                if httpx.get(f"{base}/api/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail("serve did not come up:\n" + "".join(output))
            time.sleep(0.2)
        banner = next(line for line in output if "AWS services (moto) on" in line)
        moto = re.search(r"\(moto\) on (http://\S+)", banner)
        assert moto is not None, banner
        yield ServedProcess(
            base, port, moto.group(1), process, data_dir, output, api_key=api_key, auth=auth
        )
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def serve_app(app: Any, timeout: float = 30) -> Iterator[str]:
    """Serve an ASGI app with uvicorn on 127.0.0.1 (a port the OS picks) from a thread of this
    process, so moto's in-process mock applies; yields the base URL and stops the server when
    the context ends."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + timeout
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                pytest.fail("uvicorn did not start")
            time.sleep(0.02)
        port = server.servers[0].sockets[0].getsockname()[1]
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
