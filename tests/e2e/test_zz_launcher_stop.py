"""Ctrl-C on `make run` stops every process it started (issue #16): the launcher, the
scheduler, the RQ worker, Reflex with its granian and node children, and the embedded
redis-server. The launcher gives them 3 s and then kills what is left, so on an idle machine
the whole stop takes ~3.5 s; the test prints the figure and only fails on leftovers or a stop
past 15 s (a hang, not noise: this machine is shared). Named test_zz_ so it runs last: it
stops the session's app."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest

from tests.e2e.conftest import LAUNCHER


def _groups_alive(groups: set[int]) -> list[int]:
    """Pids of live (not zombie) processes whose process group is one of `groups`."""
    alive = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        state, pgrp = fields[0], int(fields[2])
        if pgrp in groups and state != "Z":
            alive.append(int(entry.name))
    return alive


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()[:120]
    except OSError:
        return f"{pid} (gone)"


def test_ctrl_c_stops_every_process_it_started(app_url, app_data_dir):  # noqa: ANN001
    proc = LAUNCHER.get("proc")
    if proc is None:
        pytest.skip("E2E_URL: the app was started by hand, not by this session")
    run = json.loads((app_data_dir / "run.json").read_text())
    children = [int(pid) for pid in run["children"]]
    groups = {proc.pid, *children}
    assert len(_groups_alive(groups)) >= 4  # launcher, scheduler, worker, reflex (+ redis)

    started = time.monotonic()
    os.killpg(proc.pid, signal.SIGINT)  # what a terminal's Ctrl-C sends to `make run`
    left = _groups_alive(groups)
    seen: dict[int, float] = {}
    while left and time.monotonic() - started < 15:
        time.sleep(0.1)
        proc.poll()  # reap the launcher so it stops counting as alive
        left = _groups_alive(groups)
        for pid in left:
            seen[pid] = time.monotonic() - started
    for pid, last in sorted(seen.items(), key=lambda kv: kv[1]):
        print(f"  {last:5.1f} s  {_cmdline(pid)}")
    took = time.monotonic() - started
    print(f"Ctrl-C stopped {len(groups)} process groups in {took:.1f} s")
    names = [_cmdline(pid) for pid in left]
    assert left == [], f"still running after {took:.1f} s: {names}"
    assert took <= 15, f"Ctrl-C took {took:.1f} s"
    assert proc.returncode == 0
    assert not (app_data_dir / "run.json").exists()
