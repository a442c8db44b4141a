"""The REST API against the test database: keys made through the services, a TestClient."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

import backoffice.db
from backoffice.api import create_app, ratelimit, read_audit
from backoffice.services.org import api_keys
from backoffice.services.org.access import Actor
from backoffice.services.org.api_keys import ApiKeyInput, create_api_key
from tests.unit.foundation_fixtures import add_member
from tests.unit.loyalty_fixtures import setup_programme

ALL_API = [
    "members.read",
    "members.write",
    "members.status",
    "pii.view",
    "stores.read",
    "sales.read",
    "sales.create",
    "sales.refund",
    "points.redeem",
    "points.adjust",
    "wallet.topup",
    "coupons.issue",
    "loyalty.read",
    "workflows.read",
    "workflows.design",
]


@dataclass
class ApiWorld:
    client: TestClient
    engine: Engine
    stores: dict[str, int]
    actors: dict[str, Actor]
    members: dict[str, int]
    programme: dict[str, Any]
    tokens: dict[str, str] = field(default_factory=dict)

    def headers(self, who: str = "hq", **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}", "Accept-Language": "en", **extra}

    def new_key(self, who: str, creator: str = "admin", **data: Any) -> str:
        with Session(self.engine, expire_on_commit=False) as session:
            made = create_api_key(session, self.actors[creator], ApiKeyInput(**data))
            session.commit()
        self.tokens[who] = made.token
        return made.token


@pytest.fixture
def api(
    org, session: Session, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> Iterator[ApiWorld]:  # noqa: ANN001
    """Keys: hq (every API permission, all stores), sh (same, SH01 only), reader (SH01
    members.read only). Members: sh (SH01, 13800000001), gz (GZ01, 13900000002)."""
    monkeypatch.setattr(backoffice.db, "get_engine", lambda: engine)
    monkeypatch.setattr(ratelimit, "_redis", None)
    monkeypatch.setattr(api_keys, "_grants", {})  # keys verified in an earlier test's database
    ratelimit.reset_memory()
    read_audit.clear()  # reads noted in an earlier test's database
    monkeypatch.setattr(read_audit, "background", False)
    admin = org.actors["admin"]
    programme = setup_programme(session, admin)
    sh = add_member(session, admin, org.stores["SH01"], "13800000001", "上海会员")
    gz = add_member(session, admin, org.stores["GZ01"], "13900000002", "广州会员")
    session.commit()
    world = ApiWorld(
        client=TestClient(create_app(), raise_server_exceptions=False),
        engine=engine,
        stores=org.stores,
        actors=org.actors,
        members={"sh": sh.id or 0, "gz": gz.id or 0},
        programme={k: getattr(v, "id", v) for k, v in programme.items()},
    )
    world.new_key("hq", name="HQ POS", permissions=ALL_API, store_ids=None)
    world.new_key("sh", name="SH POS", permissions=ALL_API, store_ids=[org.stores["SH01"]])
    world.new_key(
        "reader", name="SH reader", permissions=["members.read"], store_ids=[org.stores["SH01"]]
    )
    yield world
    read_audit.clear()  # this test's reads belong to this test's database
