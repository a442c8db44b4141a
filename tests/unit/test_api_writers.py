"""API writes: SQLite writers wait for the write lock by polling BEGIN IMMEDIATE (no lock of
the API's own); what their commit sets off (waking the event dispatcher) runs after it."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from backoffice import db
from backoffice.api import writers
from backoffice.workflows import jobs
from tests.unit.api_fixtures import ApiWorld


def test_the_dispatcher_is_woken_once_the_sale_is_committed(
    api: ApiWorld, monkeypatch: pytest.MonkeyPatch
):
    seen: list[int] = []

    def wake() -> None:  # runs after the commit: another connection already sees the sale
        with db.read_scope(api.engine) as session:
            seen.append(session.execute(text("SELECT count(*) FROM sale")).scalar_one())

    monkeypatch.setattr(jobs, "wake_dispatcher", wake)
    body = {"member_id": api.members["sh"], "store_id": api.stores["SH01"], "amount_cents": 800}
    sale = api.client.post("/api/v1/sales", json=body, headers=api.headers("sh"))
    assert sale.status_code == 201, sale.text
    assert len(seen) == 1 and seen[0] >= 1


def _hold_write_lock(engine, seconds: float, started: threading.Event) -> None:
    with db.session_scope(engine) as session:
        session.execute(text("SELECT 1"))  # BEGIN IMMEDIATE: the write lock is held
        started.set()
        time.sleep(seconds)


def test_a_writer_waits_for_the_lock_another_writer_holds(api: ApiWorld):
    if api.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's database-wide write lock")
    started = threading.Event()
    holder = threading.Thread(target=_hold_write_lock, args=(api.engine, 0.3, started))
    holder.start()
    started.wait(5)
    t0 = time.monotonic()
    with writers.write_scope(api.engine) as session:
        session.execute(text("SELECT 1"))
    waited = time.monotonic() - t0
    holder.join(5)
    assert 0.2 < waited < 2  # it waited for the holder's commit, then went through


def test_a_writer_gives_up_when_the_lock_stays_taken(
    api: ApiWorld, monkeypatch: pytest.MonkeyPatch
):
    if api.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's database-wide write lock")
    monkeypatch.setattr(db, "BUSY_GIVE_UP_SECONDS", 0.05)
    started = threading.Event()
    holder = threading.Thread(target=_hold_write_lock, args=(api.engine, 0.5, started))
    holder.start()
    started.wait(5)
    with pytest.raises(OperationalError, match="locked"), writers.write_scope(api.engine) as s:
        s.execute(text("SELECT 1"))
    holder.join(5)


def test_a_deadlocked_transaction_runs_again_and_other_errors_do_not():
    from backoffice.db import retry_conflicts

    class Deadlock(Exception):
        sqlstate = "40P01"

    class Other(Exception):
        sqlstate = "23505"

    tries: list[int] = []

    def deadlocks_twice() -> str:
        tries.append(1)
        if len(tries) < 3:
            raise OperationalError("UPDATE …", {}, Deadlock())
        return "done"

    assert retry_conflicts(deadlocks_twice) == "done" and len(tries) == 3
    with pytest.raises(OperationalError):
        retry_conflicts(lambda: (_ for _ in ()).throw(OperationalError("x", {}, Other())))
    always: list[int] = []

    def always_deadlocks() -> None:
        always.append(1)
        raise OperationalError("UPDATE …", {}, Deadlock())

    with pytest.raises(OperationalError):
        retry_conflicts(always_deadlocks, attempts=3)
    assert len(always) == 3


@pytest.mark.parametrize("entry", ["backoffice.api", "backoffice.app"])
def test_the_web_app_and_the_api_wake_the_dispatcher_after_a_commit(entry: str):
    """A fresh process that serves pages or the API has the after-commit wake-up registered
    (importing the engine registers it); without it a sale's campaign waits for the tick."""
    import subprocess
    import sys

    probe = (
        f"import {entry}\n"
        "from backoffice import db\n"
        "assert db._events_committed, 'no after-commit hook'\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-1500:]
