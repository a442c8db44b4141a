"""API keys: never wider than the creator, shown once, stored hashed, scoped, revocable;
a key's calls are audited as the key; rate limit per key."""

from __future__ import annotations

import hashlib
import time

import pytest
from sqlmodel import Session, select

from backoffice.api import ratelimit
from backoffice.errors import PermissionDenied, ValidationFailed
from backoffice.models import ApiKey, AuditEntry, Member, Sale, Staff
from backoffice.services.org import api_keys
from backoffice.services.org.api_keys import (
    ApiKeyInput,
    authenticate,
    create_api_key,
    list_api_keys,
    revoke_api_key,
)
from tests.unit.api_fixtures import ApiWorld


def test_key_is_shown_once_and_stored_as_a_hash(session: Session, org):  # noqa: ANN001
    made = create_api_key(
        session, org.actors["admin"], ApiKeyInput(name="POS", permissions=["members.read"])
    )
    row = session.get(ApiKey, made.key.id)
    assert made.token.startswith(row.prefix + "_")
    assert row.secret_hash == hashlib.sha256(made.token.encode()).hexdigest()
    assert made.token not in repr(row.model_dump())
    assert session.exec(select(AuditEntry).where(AuditEntry.action == "api_keys.create")).one()


def test_owner_cannot_create_a_key_wider_than_themselves(session: Session, org):  # noqa: ANN001
    owner = org.actors["owner"]
    # audit.read is not a permission a key can hold, even for one who has it
    with pytest.raises(ValidationFailed) as not_api:
        create_api_key(
            session,
            owner,
            ApiKeyInput(name="x", permissions=["audit.read"], store_ids=[org.stores["SH01"]]),
        )
    assert not_api.value.errors == {"permissions": "error.choice"}
    with pytest.raises(ValidationFailed) as other_store:
        create_api_key(
            session,
            owner,
            ApiKeyInput(name="x", permissions=["members.read"], store_ids=[org.stores["GZ01"]]),
        )
    assert other_store.value.errors == {"store_ids": "error.api_key_scope_wider"}
    with pytest.raises(ValidationFailed) as all_stores:
        create_api_key(
            session, owner, ApiKeyInput(name="x", permissions=["members.read"], store_ids=None)
        )
    assert all_stores.value.errors == {"store_ids": "error.api_key_scope_wider"}


def test_permission_wider_than_creator_is_refused(session: Session, org):  # noqa: ANN001
    admin = org.actors["admin"]
    narrow = admin.__class__(
        **{**admin.__dict__, "permissions": frozenset({"api_keys.manage", "members.read"})}
    )
    with pytest.raises(ValidationFailed) as exc:
        create_api_key(session, narrow, ApiKeyInput(name="x", permissions=["members.write"]))
    assert exc.value.errors == {"permissions": "error.api_key_permission_wider"}


def test_reception_may_not_manage_keys(session: Session, org):  # noqa: ANN001
    with pytest.raises(PermissionDenied):
        create_api_key(
            session,
            org.actors["reception"],
            ApiKeyInput(name="x", permissions=["members.read"], store_ids=[org.stores["SH01"]]),
        )


def test_owner_lists_only_keys_within_their_stores(session: Session, org):  # noqa: ANN001
    admin, owner = org.actors["admin"], org.actors["owner"]
    create_api_key(session, admin, ApiKeyInput(name="HQ", permissions=["members.read"]))
    create_api_key(
        session,
        admin,
        ApiKeyInput(name="GZ", permissions=["members.read"], store_ids=[org.stores["GZ01"]]),
    )
    mine = create_api_key(
        session,
        owner,
        ApiKeyInput(name="SH", permissions=["members.read"], store_ids=[org.stores["SH01"]]),
    )
    assert [k.name for k in list_api_keys(session, owner)] == ["SH"]
    assert {k.name for k in list_api_keys(session, admin)} == {"HQ", "GZ", "SH"}
    gz = session.exec(select(ApiKey).where(ApiKey.name == "GZ")).one()
    from backoffice.errors import NotFound

    with pytest.raises(NotFound):
        revoke_api_key(session, owner, gz.id)
    revoke_api_key(session, owner, mine.key.id)
    assert authenticate(session, mine.token) is None


def test_key_narrows_when_its_creator_is_demoted_or_deactivated(session: Session, org, monkeypatch):  # noqa: ANN001
    made = create_api_key(
        session,
        org.actors["owner"],
        ApiKeyInput(
            name="SH", permissions=["members.read", "sales.create"], store_ids=[org.stores["SH01"]]
        ),
    )
    key, actor = authenticate(session, made.token)
    assert actor.role == "api_key" and actor.store_ids == frozenset({org.stores["SH01"]})
    assert actor.permissions == frozenset({"members.read", "sales.create"})
    staff = session.get(Staff, org.actors["owner"].staff_id)
    staff.active = False
    session.add(staff)
    session.flush()
    # the derived Actor is reused for a few seconds per process, then re-read
    later = time.monotonic() + api_keys.ACTOR_TTL_SECONDS + 1
    monkeypatch.setattr(api_keys.time, "monotonic", lambda: later)
    assert authenticate(session, made.token) is None


def test_scoped_key_gets_404_for_other_store_member_and_cannot_write_there(api: ApiWorld):
    c, h = api.client, api.headers("sh")
    gz_member = api.members["gz"]
    for path in (
        f"/api/v1/members/{gz_member}",
        f"/api/v1/members/{gz_member}/points",
        f"/api/v1/members/{gz_member}/points/ledger",
        f"/api/v1/members/{gz_member}/wallet",
        f"/api/v1/members/{gz_member}/wallet/ledger",
        f"/api/v1/members/{gz_member}/coupons",
    ):
        got = c.get(path, headers=h)
        assert got.status_code == 404, path
        # the same answer as for an id that does not exist at all
        assert got.json() == c.get(path.replace(str(gz_member), "999999", 1), headers=h).json()
    listed = c.get("/api/v1/members", params={"q": "13900000002"}, headers=h).json()
    assert listed["items"] == []
    gz = api.stores["GZ01"]
    made = c.post(
        "/api/v1/members",
        json={"name": "越权", "phone": "13700000009", "home_store_id": gz},
        headers=h,
    )
    assert made.status_code == 403 and made.json()["error"]["code"] == "forbidden"
    sale = c.post(
        "/api/v1/sales",
        json={"member_id": api.members["sh"], "store_id": gz, "amount_cents": 100},
        headers=h,
    )
    assert sale.status_code == 403
    topup = c.post(
        f"/api/v1/members/{gz_member}/wallet/topups",
        json={"store_id": api.stores["SH01"], "amount_cents": 100},
        headers=h,
    )
    assert topup.status_code == 404
    with Session(api.engine) as session:
        assert session.exec(select(Member).where(Member.phone == "+8613700000009")).first() is None
        assert session.exec(select(Sale)).all() == []


def test_key_without_permission_gets_403(api: ApiWorld):
    got = api.client.post(
        f"/api/v1/members/{api.members['sh']}/points/adjustments",
        json={"delta": 5, "reason": "x"},
        headers=api.headers("reader"),
    )
    assert got.status_code == 403 and got.json()["error"]["code"] == "forbidden"


def test_missing_unknown_and_revoked_keys_get_401(api: ApiWorld):
    c = api.client
    assert c.get("/api/v1/members").status_code == 401
    assert (
        c.get("/api/v1/members", headers={"Authorization": "Bearer bo_nope_x"}).status_code == 401
    )
    assert c.get("/api/v1/members", headers={"X-API-Key": api.tokens["sh"]}).status_code == 200
    with Session(api.engine) as session:
        key = session.exec(select(ApiKey).where(ApiKey.name == "SH POS")).one()
        revoke_api_key(session, api.actors["admin"], key.id)
        session.commit()
    got = c.get("/api/v1/members", headers=api.headers("sh"))
    assert got.status_code == 401
    assert got.json()["error"]["code"] == "unauthorized"
    assert got.headers["www-authenticate"] == "Bearer"


def test_over_the_limit_gets_429_with_retry_after(api: ApiWorld):
    api.new_key("slow", name="slow", permissions=["members.read"], rate_per_minute=3)
    codes = [
        api.client.get("/api/v1/stores", headers=api.headers("slow")).status_code for _ in range(3)
    ]
    assert codes == [403, 403, 403]  # within budget (and lacking stores.read)
    over = api.client.get("/api/v1/members", headers=api.headers("slow"))
    assert over.status_code == 429
    assert over.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(over.headers["retry-after"]) <= 20
    # another key has its own budget
    assert api.client.get("/api/v1/members", headers=api.headers("sh")).status_code == 200


def test_memory_bucket_refills_over_time(monkeypatch: pytest.MonkeyPatch):
    clock = [1000.0]
    monkeypatch.setattr(ratelimit.time, "monotonic", lambda: clock[0])
    buckets = ratelimit.MemoryBuckets()
    assert [buckets.take(1, 60) for _ in range(60)] == [0.0] * 60
    assert buckets.take(1, 60) == pytest.approx(1.0)
    clock[0] += 2
    assert buckets.take(1, 60) == 0.0


def test_last_used_is_recorded(api: ApiWorld):
    api.client.get("/api/v1/members", headers=api.headers("sh"))
    with Session(api.engine) as session:
        key = session.exec(select(ApiKey).where(ApiKey.name == "SH POS")).one()
    assert key.last_used_at is not None
