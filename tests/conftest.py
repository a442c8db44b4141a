"""Shared fixtures: a migrated database per test (SQLite by default, DATABASE_URL if set)."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

# Cheap password hashing for tests (argon2 with 1 MiB, 1 round); must precede imports.
os.environ.setdefault("ARGON2_MEMORY_KIB", "1024")
os.environ.setdefault("ARGON2_ROUNDS", "1")
# The test process's own data directory (the sealing key file lands there), never the
# checkout's data/ that `make run` uses.
os.environ.setdefault("DATA_DIR", tempfile.mkdtemp(prefix="backoffice-tests-"))
# One sealing key for this process and the workers it starts (as SECRET_KEY in production);
# the e2e app instead makes its key file, as `make run` does.
os.environ.setdefault("SECRET_KEY", "tests-only-key-not-secret-0123456789abcdefg=")

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel

import backoffice.models  # noqa: F401
from backoffice.db import make_engine
from backoffice.migrate import upgrade
from tests.clock import SEED_LEAD, fixed_clock

EXTERNAL_DB = os.environ.get("DATABASE_URL", "")


@pytest.fixture(scope="session")
def _template_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Migrate once per session: a SQLite file to copy, or the external database itself."""
    with fixed_clock(SEED_LEAD):
        return _migrate_template(tmp_path_factory)


def _migrate_template(tmp_path_factory: pytest.TempPathFactory) -> str:
    if EXTERNAL_DB:
        engine = make_engine(EXTERNAL_DB)
        with engine.begin() as conn:
            if engine.dialect.name == "postgresql":
                conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade(engine)
        engine.dispose()
        return EXTERNAL_DB
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return str(path)


@pytest.fixture(autouse=True)
def _own_audit_checkpoints(tmp_path: Path) -> Iterator[None]:
    """Each test's signed audit checkpoints beside its own database: a checkpoint of another
    test's chain would read as a tail cut of this one."""
    from backoffice.settings import get_settings

    settings = get_settings()
    before = settings.audit_checkpoint_dir
    settings.audit_checkpoint_dir = str(tmp_path / "audit-checkpoints")
    yield
    settings.audit_checkpoint_dir = before


@pytest.fixture
def engine(_template_db: str, tmp_path: Path) -> Iterator[Engine]:
    """A clean, migrated database for one test."""
    if EXTERNAL_DB:
        eng = make_engine(EXTERNAL_DB)
        tables = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
        with eng.begin() as conn:
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        yield eng
        eng.dispose()
        return
    path = tmp_path / "test.db"
    shutil.copy(_template_db, path)
    eng = make_engine(f"sqlite:///{path}")
    yield eng
    eng.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as s:
        yield s
