"""Starting and killing the product's processes in integration tests."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from sqlalchemy import text
from sqlmodel import Session

from backoffice.models.base import utcnow
from tests.integration.conftest import ROOT


def free_port() -> int:
    """A TCP port nobody listens on now (the OS picks it), for a server a test starts."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def spawn(env: dict[str, str], *args: str, start: datetime | None = None) -> subprocess.Popen:
    """`python -m args…` in its own session, on the real clock or (with `start`) on a clock
    starting then (tests/clocked.py)."""
    argv = [sys.executable, "-m", *args]
    if start is not None:
        argv = [sys.executable, "-m", "tests.clocked", *args]
        env = dict(env, TEST_START=start.isoformat())
    return subprocess.Popen(
        argv,
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def kill_tree(proc: subprocess.Popen) -> None:
    """SIGKILL a process and every descendant (RQ's work horse has its own process group),
    as an OOM kill or a crash does."""
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    tree, todo = [], [proc.pid]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo += parents.get(pid, [])
    for pid in tree:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    proc.wait(timeout=30)


def stop(proc: subprocess.Popen) -> None:
    """SIGTERM to the process group; what is still alive after 30 s is killed."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            kill_tree(proc)


def wait_for(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out: {what}"
        time.sleep(0.5)


def insert_members(session: Session, count: int, store_id: int, prefix: str) -> None:
    """`count` active members in one statement (a campaign's audience; the services would
    take minutes for thousands). `prefix` is one letter, kept apart from other tests'."""
    now = utcnow()
    session.execute(
        text(
            "INSERT INTO member (member_no, name, phone, phone_tail, gender, email, "
            "home_store_id, joined_at, status, status_reason, notes, custom, updated_at) "
            "VALUES (:no, :name, :phone, :tail, 'UNKNOWN', '', :store, :now, 'ACTIVE', '', "
            "'', '{}', :now)"
        ),
        [
            {
                "no": f"{prefix}{i:08d}",
                "name": f"会员{i}",
                "phone": f"+86135{ord(prefix) % 10}{i:07d}",
                "tail": f"{i:04d}"[-4:],
                "store": store_id,
                "now": now,
            }
            for i in range(count)
        ],
    )
