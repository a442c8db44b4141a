"""API writes: a transaction of their own, nothing more.

API writers used to queue on a process-wide file lock on SQLite, as SQLite's busy handler
served a burst of sales unfairly. The engine now takes the write lock with BEGIN IMMEDIATE
and polls for it in millisecond steps (db.make_engine), the same for every writer (pages,
workers, the API), and PostgreSQL writers wait on the rows they change (conditional
updates, SELECT … FOR UPDATE in services/loyalty/accounts.py), so no lock is taken here.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.engine import Engine
from sqlmodel import Session

from backoffice import db


@contextmanager
def write_scope(engine: Engine | None = None) -> Iterator[Session]:
    """`session_scope` for an API write (one place to hang API-wide write concerns)."""
    with db.session_scope(engine) as session:
        yield session
