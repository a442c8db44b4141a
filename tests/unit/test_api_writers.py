"""API writes on SQLite take turns on the API's own lock (thread lock + file lock next to
the database); what their commit sets off (waking the event dispatcher) runs after it."""

from __future__ import annotations

import threading
import time

import pytest

from backoffice.api import writers
from backoffice.workflows import jobs
from tests.unit.api_fixtures import ApiWorld


def test_the_dispatcher_is_woken_after_the_lock_is_let_go(
    api: ApiWorld, monkeypatch: pytest.MonkeyPatch
):
    if api.engine.dialect.name != "sqlite":
        pytest.skip("the writers' lock is for SQLite")
    held: list[bool] = []
    monkeypatch.setattr(jobs, "wake_dispatcher", lambda: held.append(writers._thread_lock.locked()))
    body = {"member_id": api.members["sh"], "store_id": api.stores["SH01"], "amount_cents": 800}
    sale = api.client.post("/api/v1/sales", json=body, headers=api.headers("sh"))
    assert sale.status_code == 201, sale.text
    assert held == [False]  # woken once, with the lock already free
    assert writers._lock_path(api.engine).endswith("test.db.api-writer.lock")


def test_writers_take_turns(api: ApiWorld):
    if api.engine.dialect.name != "sqlite":
        pytest.skip("the writers' lock is for SQLite")
    inside: list[str] = []
    overlaps: list[bool] = []

    def write(name: str) -> None:
        with writers.write_scope(api.engine):
            overlaps.append(bool(inside))
            inside.append(name)
            time.sleep(0.1)
            inside.remove(name)

    threads = [threading.Thread(target=write, args=(str(i),)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert overlaps == [False] * 4


def test_a_deadlocked_transaction_runs_again_and_other_errors_do_not():
    from sqlalchemy.exc import OperationalError

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
