"""`make run`: one command starts the whole product on embedded defaults.

Migrates, seeds demo data on first start, starts an embedded Redis (unless REDIS_URL is
set), the scheduler, one RQ worker and the Reflex app, prints the URL and demo logins, and on Ctrl-C
stops everything it started.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from rich.console import Console
from rich.table import Table

from backoffice.settings import PROJECT_ROOT, get_settings

console = Console()


def _wait_http(url: str, timeout: float, procs: list[subprocess.Popen]) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(p.poll() is not None for p in procs):
            return False
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return True
        except OSError:
            pass
        time.sleep(1)
    return False


RUN_FILE = "run.json"  # in DATA_DIR: the processes of the run using that folder
OUR_PROGRAMS = ("backoffice", "reflex", "redis-server", "granian", "node")


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _ours_alive(pid: int) -> bool:
    """The pid runs one of our programs (a pid reused after a crash by another is not)."""
    return pid > 0 and any(name in _cmdline(pid) for name in OUR_PROGRAMS)


def stop_previous_run(data_dir: Path) -> list[int]:
    """After a kill -9 or a crash: stop what the previous run on this data folder left
    running (its worker, scheduler, web app, redis-server), or refuse when that run is
    still alive. Returns the pids stopped."""
    run_file = data_dir / RUN_FILE
    if not run_file.exists():
        return []
    try:
        info = json.loads(run_file.read_text())
    except ValueError:
        info = {}
    launcher = int(info.get("launcher", 0))
    if launcher != os.getpid() and _ours_alive(launcher):
        raise SystemExit(
            f"Another `make run` (pid {launcher}) is using {data_dir}; stop it first "
            "(Ctrl-C in its terminal), or give this one another DATA_DIR."
        )
    orphans = [int(p) for p in info.get("children", []) if _ours_alive(int(p))]
    if orphans:
        console.print(f"Stopping what a previous run left running (pids {orphans})…")
        for pid in orphans:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(_ours_alive(p) for p in orphans):
            time.sleep(0.2)
    run_file.unlink(missing_ok=True)
    return orphans


def _record_run(data_dir: Path, pids: list[int]) -> None:
    (data_dir / RUN_FILE).write_text(json.dumps({"launcher": os.getpid(), "children": pids}))


def _stop(procs: list[subprocess.Popen]) -> None:
    """SIGINT to each child's process group (Reflex stops on SIGINT, not SIGTERM), then wait
    3 s and kill what is left: Ctrl-C stops everything within 5 s
    (tests/integration/test_launcher_stop.py)."""
    for proc in procs:
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGINT)
    deadline = time.monotonic() + 3
    for proc in procs:
        remaining = max(0.1, deadline - time.monotonic())
        try:
            proc.wait(timeout=remaining)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _print_ready(url: str, seeded: bool) -> None:
    from backoffice.demo import DEMO_LOGINS, DEMO_MEMBER_NO, DEMO_PASSWORD

    console.rule("[bold green]Back-office is running")
    console.print(f"Open [bold]{url}[/bold] in your browser.")
    if seeded:
        table = Table(title=f"Demo logins (password: {DEMO_PASSWORD})")
        table.add_column("username")
        table.add_column("role")
        for username, _role, _display, _stores, label in DEMO_LOGINS:
            table.add_row(username, label)
        console.print(table)
        console.print(
            f"Member portal (phones): [bold]{url}/m/login[/bold] — member {DEMO_MEMBER_NO}"
            f" (phone {_demo_member_phone()} or the card number), password {DEMO_PASSWORD}"
        )
    console.print("Press Ctrl-C to stop everything.")


def _demo_member_phone() -> str:
    from backoffice.db import session_scope
    from backoffice.demo import demo_member_phone

    try:
        with session_scope() as session:
            return demo_member_phone(session).removeprefix("+86")
    except Exception:  # noqa: BLE001  (the banner must not stop the launcher)
        return "?"


def run_all(port: int | None = None, seed: bool = True) -> int:
    settings = get_settings()
    port = port or settings.app_port
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    stop_previous_run(settings.data_dir)
    env = dict(os.environ)
    env["DATA_DIR"] = str(settings.data_dir)
    env["DATABASE_URL"] = settings.resolved_database_url
    env["APP_PORT"] = str(port)

    # Migrate and seed as the `backoffice` command does, bars and all, before anything starts.
    steps = [["migrate"]] + ([["seed", "--members", "120"]] if seed else [])
    for step in steps:
        done = subprocess.run([sys.executable, "-m", "backoffice.cli", *step], env=env)
        if done.returncode != 0:
            return done.returncode

    redis_server = None
    redis_url = settings.redis_url
    if not redis_url:
        from backoffice.queue import start_embedded_redis

        console.print("Starting embedded Redis…")
        redis_server = start_embedded_redis(settings.data_dir)
        redis_url = f"unix://{redis_server.socket_file}"
    env["REDIS_URL"] = redis_url

    bin_dir = Path(sys.executable).parent
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    env.setdefault("REFLEX_USE_NPM", "1")
    env.setdefault("REFLEX_TELEMETRY_ENABLED", "false")
    # RQ logs two lines per job; the console gets the engine's one line per batch instead.
    env.setdefault("RQ_LOG_LEVEL", "WARNING")
    procs: list[subprocess.Popen] = []
    stopping = False

    def on_signal(_signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        console.print("Starting the scheduler and the RQ worker…")
        for command in ("scheduler", "worker"):
            procs.append(
                subprocess.Popen(
                    [sys.executable, "-m", "backoffice.cli", command],
                    env=env,
                    cwd=PROJECT_ROOT,
                    start_new_session=True,
                )
            )
        console.print("Starting the web app (the first start builds the frontend, ~2 min)…")
        reflex = str(bin_dir / "reflex")
        procs.append(
            subprocess.Popen(
                [
                    reflex,
                    "run",
                    "--env",
                    "prod",
                    "--frontend-port",
                    str(port),
                    "--backend-port",
                    str(port),
                ],
                env=env,
                cwd=PROJECT_ROOT,
                start_new_session=True,
            )
        )
        embedded = [redis_server.pid] if redis_server is not None else []
        _record_run(settings.data_dir, [p.pid for p in procs] + embedded)
        url = f"http://localhost:{port}"
        deadline = time.monotonic() + 900
        ready = False
        while not stopping and time.monotonic() < deadline and not ready:
            ready = _wait_http(f"http://127.0.0.1:{port}/ping", 5, procs)
            if any(p.poll() is not None for p in procs):
                break
        if ready and not stopping:
            _print_ready(url, seed)
        while not stopping and all(p.poll() is None for p in procs):
            time.sleep(0.5)
        failed = [p for p in procs if p.poll() not in (None, 0)]
        if failed and not stopping:
            console.print("[red]A process stopped unexpectedly; shutting down.[/red]")
            return 1
        return 0
    finally:
        console.print("Stopping…")
        stop_started = time.monotonic()
        _stop(procs)
        children_took = time.monotonic() - stop_started
        if redis_server is not None:
            from backoffice.queue import stop_embedded_redis

            stop_embedded_redis(redis_server)
        (settings.data_dir / RUN_FILE).unlink(missing_ok=True)
        took = time.monotonic() - stop_started
        console.print(
            f"Stopped in {took:.1f} s (the app, scheduler and worker: {children_took:.1f} s)."
        )
