"""Browser tests: the product started once per session exactly as `make run` starts it.

The app runs from a fresh data directory (SQLite + embedded Redis + one RQ worker +
Reflex in prod mode) and Debian's Chromium drives it through Playwright.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "demo1234"
# The session's `backoffice run` launcher (None when E2E_URL names an app started by hand):
# tests/e2e/test_zz_launcher_stop.py presses Ctrl-C on it as the last test.
LAUNCHER: dict[str, subprocess.Popen] = {}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def app_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The running app's DATA_DIR (its SQLite file): tests read stored values from it to
    assert what a page shows through the same formatter, never a hand-written pattern."""
    if os.environ.get("E2E_URL"):
        return Path(os.environ.get("E2E_DATA_DIR", ROOT / "data"))
    return tmp_path_factory.mktemp("e2e-data")


def app_db(data_dir: Path) -> sqlite3.Connection:
    """A read-only connection to the running app's database."""
    return sqlite3.connect(f"file:{data_dir / 'backoffice.db'}?mode=ro", uri=True)


@pytest.fixture(scope="session")
def app_url(app_data_dir: Path) -> Iterator[str]:
    if os.environ.get("E2E_URL"):  # developing: an app you already started (fresh demo data)
        yield os.environ["E2E_URL"]
        return
    data_dir = app_data_dir
    port = int(os.environ.get("E2E_PORT", "0")) or _free_port()
    # As `make run`: embedded database and Redis, the sealing key made in DATA_DIR.
    skip = ("DATABASE_URL", "REDIS_URL", "SECRET_KEY")
    env = {k: v for k, v in os.environ.items() if k not in skip}
    env.update(
        DATA_DIR=str(data_dir),
        APP_PORT=str(port),
        REFLEX_USE_NPM="1",
        REFLEX_TELEMETRY_ENABLED="false",
        # No quiet hours: a campaign's message goes out whatever the hour the suite runs at
        # (between 21:00 and 09:00 Shanghai time it would wait for the morning; the engine's
        # unit tests cover quiet hours).
        QUIET_START_HOUR="0",
        QUIET_END_HOUR="0",
        # Its own build and state directories: a `make run` in this checkout is unharmed.
        # E2E_WORKDIR_SUFFIX lets two checkouts' suites run side by side.
        REFLEX_WEB_WORKDIR=".web-test" + os.environ.get("E2E_WORKDIR_SUFFIX", ""),
        REFLEX_STATES_WORKDIR=".states-test" + os.environ.get("E2E_WORKDIR_SUFFIX", ""),
    )
    log = ARTIFACTS / "app.log"
    ARTIFACTS.mkdir(exist_ok=True)
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "backoffice.cli", "run", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    LAUNCHER["proc"] = proc
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 900
    try:
        while True:
            if proc.poll() is not None:
                pytest.fail(f"the app exited early; see {log}:\n{log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(url + "/ping", timeout=2):
                    pass
                with urllib.request.urlopen(url + "/login", timeout=5) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the app did not start in 15 minutes; see {log}")
            time.sleep(2)
        yield url
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGINT)
            try:
                proc.wait(timeout=40)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, app_url):  # noqa: ANN001, ANN201
    context = browser.new_context(
        viewport={"width": 1400, "height": 900}, base_url=app_url, accept_downloads=True
    )
    pg = context.new_page()
    pg.set_default_timeout(20_000)
    yield pg
    context.close()


def wait_ready(pg) -> None:  # noqa: ANN001
    """Reflex is interactive once hydrated (and the page's on_load ran): typing earlier can
    be lost. Every page carries a marker that turns true then."""
    pg.wait_for_selector("#hydrated[data-hydrated='true']", state="attached")


def sign_in(pg, username: str, password: str = PASSWORD) -> None:  # noqa: ANN001
    pg.goto("/login")
    pg.wait_for_selector("#login")
    wait_ready(pg)
    pg.fill("#login", username)
    pg.fill("#password", password)
    pg.click("#sign-in")
    # Home: the dashboard for report readers (HQ, owners), the member list for reception.
    pg.wait_for_url(re.compile(r".*/(members|reports)$"), timeout=30_000)
    pg.wait_for_selector("#me-name")


def shot(pg, name: str) -> None:  # noqa: ANN001
    ARTIFACTS.mkdir(exist_ok=True)
    pg.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
