"""A small chain built through the services: HQ + SH01, BJ01, GZ01 and one account per role."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlmodel import Session, select

from backoffice.demo import DEMO_PASSWORD, seed_org
from backoffice.models import Staff
from backoffice.services.access import Actor, load_actor


@dataclass
class Org:
    stores: dict[str, int]
    actors: dict[str, Actor]
    password: str = DEMO_PASSWORD


@pytest.fixture
def org(session: Session) -> Org:
    """admin (HQ), auditor (HQ), owner (SH01+BJ01), reception (SH01), reception_gz (GZ01)."""
    stores = seed_org(session)
    session.commit()
    actors = {s.username: load_actor(session, s) for s in session.exec(select(Staff)).all()}
    return Org(stores=stores, actors=actors)
