"""API writes on SQLite queue on a lock of their own instead of SQLite's busy handler.

SQLite admits one writer at a time. A writer that finds the database locked sleeps in
growing steps (up to 100 ms) and tries again, so under a burst of POS sales the waiting
is unfair: a process that just committed starts its next transaction at once while the
other process's writer sleeps, and a few sales wait seconds. API writers therefore take
a thread lock (one writer per process) and an OS file lock next to the database (one
writer across the API's processes, woken by the kernel when it is free) around their
transaction. Other writers (pages, RQ workers) are untouched and keep the busy handler.
What the commit sets off (enqueuing the event dispatch: Redis round trips) runs after the
lock is let go, so the queue only waits for the database.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session

from backoffice import db

_thread_lock = threading.Lock()
# (process id, lock file path) -> descriptor, kept open. A descriptor inherited through
# fork shares its lock with the parent, so each process opens its own.
_files: dict[tuple[int, str], int] = {}


def _lock_path(engine: Engine) -> str | None:
    if engine.dialect.name != "sqlite":
        return None
    database = engine.url.database or ""
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return str(Path(database).resolve()) + ".api-writer.lock"


@contextmanager
def _held(path: str | None) -> Iterator[None]:
    if path is None:
        yield
        return
    with _thread_lock:
        key = (os.getpid(), path)
        fd = _files.get(key)
        if fd is None:
            fd = _files[key] = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)


@contextmanager
def write_scope(engine: Engine | None = None) -> Iterator[Session]:
    """`session_scope` for an API write, in turn with the API's other writers on SQLite."""
    engine = engine or db.get_engine()
    later: list[Callable[[], None]] = []  # e.g. waking the event dispatcher: after the lock
    with _held(_lock_path(engine)), db.session_scope(engine) as session:
        session.info["after_commit_later"] = later
        yield session
    for work in later:
        work()
