"""Engine and sessions: one engine per process, SQLite tuned for a web app plus workers."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import TypeVar
from weakref import WeakKeyDictionary

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlmodel import Session, create_engine

from backoffice.settings import get_settings

T = TypeVar("T")


# A writer that finds the database locked polls for it every millisecond or two (SQLite's
# own busy handler backs off to 100 ms sleeps, so under a burst of sales a writer that just
# committed wins again and again while another sleeps: a few sales waited seconds).
BUSY_POLL_SECONDS = (0.0005, 0.002)
BUSY_GIVE_UP_SECONDS = 30.0


def make_engine(url: str, *, read_only: bool = False) -> Engine:
    """Create an engine; SQLite gets WAL and a busy timeout so workers and the app can write.
    A read-only engine starts deferred transactions: WAL readers never wait for the lock."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record) -> None:  # noqa: ANN001
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            # The busy handler covers what is not a BEGIN (schema changes, a checkpoint);
            # a writer's BEGIN IMMEDIATE waits in _begin_immediate instead.
            cur.execute("PRAGMA busy_timeout=" + ("30000" if read_only else "2"))
            cur.close()
            # pysqlite's own transaction handling defers BEGIN; we emit it ourselves so
            # that writers take the lock up front (BEGIN IMMEDIATE) instead of failing late
            # (SQLAlchemy's documented recipe for pysqlite: isolation_level None + "begin").
            dbapi_conn.isolation_level = None

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn) -> None:  # noqa: ANN001
            if read_only:
                conn.exec_driver_sql("BEGIN")
            else:
                _begin_immediate(conn)

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def _begin_immediate(conn) -> None:  # noqa: ANN001
    """BEGIN IMMEDIATE, polling while another writer holds the database (see above)."""
    deadline = time.monotonic() + BUSY_GIVE_UP_SECONDS
    while True:
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
            return
        except OperationalError as exc:
            if "locked" not in str(exc.orig) or time.monotonic() > deadline:
                raise
            time.sleep(random.uniform(*BUSY_POLL_SECONDS))


# What runs after a commit that wrote domain events. The engine registers its dispatcher's
# wake-up here (workflows/jobs.py): the database layer knows nothing of the queue.
_events_committed: list[Callable[[], None]] = []


def on_events_committed(hook: Callable[[], None]) -> None:
    """Call `hook` after every commit that emitted domain events (once per hook)."""
    if hook not in _events_committed:
        _events_committed.append(hook)


@event.listens_for(Session, "after_commit")
def _after_events_commit(session: Session) -> None:
    """Events are rows written with the change; once committed, the hooks run (the minute
    tick dispatches anything they miss, e.g. when Redis is down)."""
    if not session.info.pop("events_emitted", False):
        return
    for hook in _events_committed:
        hook()


@lru_cache
def get_engine() -> Engine:
    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return make_engine(settings.resolved_database_url)


# By the engine they read for, dropped with it (a per-call URL render cost more than the
# query of a look-up).
_read_engines: WeakKeyDictionary[Engine, Engine] = WeakKeyDictionary()


def read_engine(engine: Engine | None = None) -> Engine:
    """The engine for read-only work: on SQLite a twin whose transactions do not take the
    write lock (BEGIN IMMEDIATE would serialise every read behind every write)."""
    engine = engine or get_engine()
    if engine.dialect.name != "sqlite":
        return engine
    twin = _read_engines.get(engine)
    if twin is None:
        url = engine.url.render_as_string(hide_password=False)
        twin = _read_engines[engine] = make_engine(url, read_only=True)
    return twin


@contextmanager
def read_scope(engine: Engine | None = None) -> Iterator[Session]:
    """A session for queries only: closing it ends (rolls back) its transaction and leaves the
    loaded rows readable, detached."""
    with Session(read_engine(engine), expire_on_commit=False) as session:
        yield session


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """A session whose transaction commits on success and rolls back on any error."""
    with Session(engine or get_engine(), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


# PostgreSQL's "deadlock detected" and "could not serialize access": the transaction did
# nothing and may simply run again.
CONFLICT_SQLSTATES = frozenset({"40P01", "40001"})
CONFLICT_ATTEMPTS = 5


def is_conflict(exc: BaseException) -> bool:
    orig = getattr(exc, "orig", None)
    return isinstance(exc, DBAPIError) and getattr(orig, "sqlstate", None) in CONFLICT_SQLSTATES


def retry_conflicts(work: Callable[[], T], attempts: int = CONFLICT_ATTEMPTS) -> T:
    """Run a whole transaction (`work` opens and commits its own), again after a deadlock
    or a serialization failure, with a short random pause; any other error goes up."""
    for attempt in range(1, attempts + 1):
        try:
            return work()
        except DBAPIError as exc:
            if not is_conflict(exc) or attempt == attempts:
                raise
            time.sleep(random.uniform(0.005, 0.03) * attempt)
    raise AssertionError("unreachable")
