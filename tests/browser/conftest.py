"""Browser tests: the planner front end (web/) in headless Debian chromium, driven by
Playwright, against a local runtime served in this process, which enforces credentials as
API Gateway does: API key mode for a module by default (`served`), cognito mode where a module
overrides `served` with `serve("cognito")`. One runtime at a time (moto, the environment and
the Lambda hook are process-wide), so each is module-scoped: it starts once, for its module.

Chromium comes from apt (`.ci/dev.py test` installs it); Playwright's own browser download
does not work offline. Without /usr/bin/chromium these tests skip with a loud reason.
Screenshots go to `artifacts/browser/` (git-ignored; BROWSER_ARTIFACTS overrides). Every page
is checked for console errors and, where a test asks, with axe-core (vendored beside this
file): no serious or critical violations."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from fashion_forecast.adapters.aws import reset_clients
from fashion_forecast.settings import get_settings
from fashion_forecast_local.runtime import LocalRuntime, free_port

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE = Path(__file__).parent / "vendor" / "axe-core-4.14.1" / "axe.min.js"
ARTIFACTS = Path(os.environ.get("BROWSER_ARTIFACTS", ROOT / "artifacts" / "browser"))
LAPTOP = {"width": 1280, "height": 800}
TABLET = {"width": 768, "height": 1024}
# The browser itself logs every HTTP error answer of a fetch as a console error. The API's
# documented 4xx answers (404 "no markdown yet", 409, 410, 422 refused file, 403) are part of
# the flows under test and shown on the page; anything else (a script error, a 5xx) fails.
EXPECTED_HTTP_ERROR = re.compile(r"status of 4(0[3-9]|1\d|2\d)\b")
TIMEOUT_MS = 120_000  # a forecast runs the real ensemble in-process on a loaded 2-core box
HTTP_TIMEOUT_S = 60.0
TEST_USER = "robot"  # cognito mode: who the tests' own calls are (every role)


@dataclass
class Served:
    """A served runtime and the credential every call of a test sends (`get`, `post`)."""

    base: str
    runtime: LocalRuntime
    headers: dict[str, str]

    def get(self, path: str) -> httpx.Response:
        return httpx.get(f"{self.base}{path}", headers=self.headers, timeout=HTTP_TIMEOUT_S)

    def post(self, path: str, json: Any) -> httpx.Response:
        return httpx.post(
            f"{self.base}{path}", json=json, headers=self.headers, timeout=HTTP_TIMEOUT_S
        )

    @property
    def api_key(self) -> str:
        if self.runtime.credential is None:
            raise RuntimeError("this runtime is in cognito mode: it has no API key")
        return self.runtime.credential.value


@contextmanager
def serve(auth_mode: str) -> Iterator[Served]:
    runtime = LocalRuntime(api_port=free_port(), auth_mode=auth_mode)
    with runtime:
        runtime.serve_in_thread()
        if runtime.pool is not None:
            token = runtime.pool.add_user(TEST_USER, ["viewer", "planner", "approver"])
            headers = {"Authorization": f"Bearer {token}"}
        else:
            headers = runtime.auth_headers
        yield Served(f"http://127.0.0.1:{runtime.api_port}", runtime, headers)


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    with serve("api_key") as api_key_mode:
        yield api_key_mode


@pytest.fixture(autouse=True)
def aws_env(served: Served, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Replaces the suite's fake-AWS environment: these tests share one served runtime, whose
    environment (pointing at its moto) must hold for every test."""
    for key, value in served.runtime.environment.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    reset_clients()
    yield


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One chromium per module. Not per session: Playwright's sync API keeps an asyncio loop
    running in this thread while it is open, which would break the asyncio.run of tests that
    random order puts after a browser module."""
    if not CHROMIUM.exists():
        pytest.skip(
            "!!! BROWSER TESTS SKIPPED: /usr/bin/chromium is missing and apt could not "
            "install it (run `apt-get install -y chromium`) !!!"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()


@dataclass
class Tab:
    """A page plus what its console said."""

    page: Any
    served: Served
    errors: list[str] = field(default_factory=list)
    expected_http_error: re.Pattern[str] = EXPECTED_HTTP_ERROR

    @property
    def base(self) -> str:
        return self.served.base

    def allow_http_error(self, status: int) -> None:
        """The browser's console line for an answer `status` is part of this test's flow."""
        pattern = f"{self.expected_http_error.pattern}|status of {status}\\b"
        self.expected_http_error = re.compile(pattern)

    def goto(self, route: str = "") -> None:
        self.page.goto(f"{self.base}/{route}")

    def shot(self, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def axe(self) -> list[dict[str, Any]]:
        """axe-core's serious and critical violations of the page as it is now."""
        if not self.page.evaluate("typeof window.axe !== 'undefined'"):
            self.page.add_script_tag(path=str(AXE))
        result = self.page.evaluate("async () => (await axe.run(document)).violations")
        return [
            {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]]}
            for v in result
            if v["impact"] in {"serious", "critical"}
        ]

    def sign_in_with_api_key(self, key: str | None = None) -> None:
        """Sign in with the runtime's API key (or `key`) and wait for the plan screen."""
        self.goto()
        self.page.get_by_label("an API key").check()
        self.page.get_by_label("API key", exact=True).fill(key or self.served.api_key)
        self.page.get_by_role("button", name="Sign in").click()
        self.page.get_by_role("heading", name="Plan a season").wait_for()

    def sign_in_as(self, username: str, password: str) -> None:
        """Sign in as a Cognito user of the runtime's pool (the page's default in cognito
        mode: its config.json names the pool's endpoint and app client)."""
        self.goto()
        self.page.get_by_label("User name").fill(username)
        self.page.get_by_label("Password").fill(password)
        self.page.get_by_role("button", name="Sign in").click()


class HeldStream:
    """Routes the page's WebSocket: what the server sends is held back (from the start, and
    again after `hold()`) until `release()`."""

    def __init__(self) -> None:
        self.held: list[Any] = []
        self.page_socket: Any = None
        self.holding = True

    def __call__(self, ws: Any) -> None:
        server = ws.connect_to_server()
        self.page_socket = ws

        def forward(message: Any) -> None:
            if self.holding:
                self.held.append(message)
            else:
                ws.send(message)

        server.on_message(forward)

    def hold(self) -> None:
        self.holding = True

    def release(self) -> None:
        self.holding = False
        for message in self.held:
            self.page_socket.send(message)
        self.held.clear()


@pytest.fixture
def tab(browser: Any, served: Served) -> Iterator[Tab]:
    context = browser.new_context(viewport=LAPTOP)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    opened = Tab(page, served)

    def on_console(message: Any) -> None:
        if message.type == "error" and not opened.expected_http_error.search(message.text):
            opened.errors.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: opened.errors.append(f"page error: {error}"))
    yield opened
    context.close()
    assert opened.errors == [], opened.errors
