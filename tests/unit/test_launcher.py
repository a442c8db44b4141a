"""`make run` after a kill -9 or a crash (backoffice/launcher.py, backoffice/queue.py): what
the previous run left running is stopped, a live run is refused, a stale embedded-Redis
settings file is cleared."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from backoffice import launcher
from backoffice.queue import clear_stale_embedded_redis

# A stand-in for a leftover worker: a process whose command line names backoffice.
LEFTOVER = [sys.executable, "-c", "import time; time.sleep(120)", "backoffice-worker-leftover"]


def _started(argv: list[str]) -> subprocess.Popen:
    """A process whose command line /proc already shows (it is empty until exec is done)."""
    proc = subprocess.Popen(argv, start_new_session=True)
    deadline = time.monotonic() + 10
    while not Path(f"/proc/{proc.pid}/cmdline").read_bytes() and time.monotonic() < deadline:
        time.sleep(0.01)
    return proc


def test_what_a_killed_run_left_running_is_stopped(tmp_path):
    leftover = _started(LEFTOVER)
    try:
        (tmp_path / launcher.RUN_FILE).write_text(
            json.dumps({"launcher": 2**22 + 12345, "children": [leftover.pid]})
        )
        assert launcher.stop_previous_run(tmp_path) == [leftover.pid]
        assert leftover.wait(timeout=15) != 0  # killed
        assert not (tmp_path / launcher.RUN_FILE).exists()
    finally:
        if leftover.poll() is None:
            leftover.kill()


def test_a_pid_reused_by_another_program_is_left_alone(tmp_path):
    other = _started(["sleep", "60"])
    try:
        (tmp_path / launcher.RUN_FILE).write_text(json.dumps({"children": [other.pid]}))
        assert launcher.stop_previous_run(tmp_path) == []
        assert other.poll() is None
    finally:
        other.kill()


def test_a_run_still_alive_on_the_same_folder_is_refused(tmp_path):
    alive = _started(LEFTOVER)
    try:
        (tmp_path / launcher.RUN_FILE).write_text(json.dumps({"launcher": alive.pid}))
        with pytest.raises(SystemExit, match="Another `make run`"):
            launcher.stop_previous_run(tmp_path)
        assert alive.poll() is None
    finally:
        alive.kill()


def test_a_stale_embedded_redis_settings_file_is_cleared(tmp_path):
    settings = tmp_path / "redis.db.settings"
    settings.write_text(
        json.dumps(
            {"pidfile": str(tmp_path / "gone.pid"), "unixsocket": str(tmp_path / "gone.sock")}
        )
    )
    assert clear_stale_embedded_redis(tmp_path) is True
    assert not settings.exists()
    assert clear_stale_embedded_redis(tmp_path) is False  # nothing to clear
