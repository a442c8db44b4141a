"""A small chain built through the services: HQ + SH01, BJ01, GZ01 and one account per role."""

from __future__ import annotations

import os
import shutil
import sqlite3
from dataclasses import dataclass

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from backoffice.db import make_engine
from backoffice.demo import DEMO_PASSWORD, seed_org
from backoffice.models import Staff, Store
from backoffice.services.org.access import Actor, load_actor
from tests.clock import SEED_LEAD, clock, fixed_clock  # noqa: F401  (clock: autouse)


@dataclass
class Org:
    stores: dict[str, int]
    actors: dict[str, Actor]
    password: str = DEMO_PASSWORD


@pytest.fixture(scope="session")
def _org_template(_template_db: str, tmp_path_factory: pytest.TempPathFactory) -> str | None:
    """On SQLite, the organisation is built through the services once and copied per test."""
    if os.environ.get("DATABASE_URL"):
        return None
    path = tmp_path_factory.mktemp("org") / "org.db"
    shutil.copy(_template_db, path)
    engine = make_engine(f"sqlite:///{path}")
    with fixed_clock(SEED_LEAD), Session(engine) as session:
        seed_org(session)
        session.commit()
    engine.dispose()
    return str(path)


def _restore(template: str, engine: Engine) -> None:
    """Copy the seeded database into this test's (SQLite's online backup, page by page)."""
    source = sqlite3.connect(template)
    target = engine.raw_connection()
    try:
        source.backup(target.driver_connection)
    finally:
        target.close()
        source.close()


@pytest.fixture
def org(session: Session, engine: Engine, _org_template: str | None) -> Org:
    """admin (HQ), auditor (HQ), owner (SH01+BJ01), reception (SH01), reception_gz (GZ01)."""
    if _org_template is None:
        seed_org(session)
        session.commit()
    else:
        session.close()  # nothing may hold the database while it is replaced
        _restore(_org_template, engine)
    stores = {s.code: s.id or 0 for s in session.exec(select(Store)).all()}
    actors = {s.username: load_actor(session, s) for s in session.exec(select(Staff)).all()}
    return Org(stores=stores, actors=actors)


# The REST API fixture (tests/unit/test_api_*.py) lives beside its helpers.
from tests.unit.api_fixtures import api  # noqa: E402, F401
