"""The till's fast paths: exact phone / member-number look-up, and the per-process cache of
verified keys (revocation still immediate, last_used_at written at most once a minute)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select, update

from backoffice.api import calls, ratelimit
from backoffice.models import ApiKey
from backoffice.models.base import utcnow
from backoffice.services.members.profiles import MemberInput, update_member
from backoffice.services.members.search import find_member
from backoffice.services.org import api_keys
from tests.unit.api_fixtures import ApiWorld


def lookup(api: ApiWorld, who: str = "hq", **params: str) -> dict:
    got = api.client.get("/api/v1/members", params=params, headers=api.headers(who))
    assert got.status_code == 200, got.text
    return got.json()


def test_lookup_by_phone_in_any_format_and_by_member_no(api: ApiWorld):
    one = lookup(api, phone="+86 139 0000 0002")["items"]
    assert [m["name"] for m in one] == ["广州会员"]
    assert one[0]["phone"] == "13900000002" and one[0]["store_name"]
    by_no = lookup(api, member_no=one[0]["member_no"].lower())["items"]
    assert [m["id"] for m in by_no] == [api.members["gz"]]
    # the same row as the generic search gives
    generic = lookup(api, q="13900000002")["items"]
    assert by_no == generic
    assert lookup(api, phone="13700000000")["items"] == []


def test_lookup_carries_tags_and_masks_without_pii(api: ApiWorld):
    with Session(api.engine) as session:
        admin = api.actors["admin"]
        update_member(
            session,
            admin,
            api.members["sh"],
            MemberInput(
                name="上海会员",
                phone="13800000001",
                home_store_id=api.stores["SH01"],
                tags=["vip", "咖啡"],
            ),
        )
        session.commit()
    full = lookup(api, "sh", phone="13800000001")["items"][0]
    assert full["tags"] == ["vip", "咖啡"] and full["phone"] == "13800000001"
    masked = lookup(api, "reader", phone="13800000001")["items"][0]
    assert masked["phone"] == "138****0001"


def test_lookup_outside_the_scope_is_the_same_as_missing(api: ApiWorld):
    other = lookup(api, "sh", phone="13900000002")
    missing = lookup(api, "sh", phone="13700000000")
    assert other == missing == {"items": [], "next_cursor": None}
    assert lookup(api, "sh", member_no=f"M{api.members['gz']:08d}")["items"] == []


def test_lookup_with_other_filters_narrows_like_them(api: ApiWorld):
    h = api.headers()
    frozen = api.client.get(
        "/api/v1/members", params={"phone": "13800000001", "status": "frozen"}, headers=h
    ).json()
    assert frozen["items"] == []
    active = api.client.get(
        "/api/v1/members", params={"phone": "13800000001", "status": "active"}, headers=h
    ).json()
    assert [m["id"] for m in active["items"]] == [api.members["sh"]]
    elsewhere = api.client.get(
        "/api/v1/members",
        params={"phone": "13800000001", "store_id": api.stores["GZ01"]},
        headers=h,
    ).json()
    assert elsewhere["items"] == []
    past = api.client.get(
        "/api/v1/members",
        params={"phone": "13800000001", "cursor": str(api.members["sh"])},
        headers=h,
    ).json()
    assert past["items"] == []


def test_lookup_errors(api: ApiWorld):
    bad = api.client.get("/api/v1/members", params={"phone": "12"}, headers=api.headers())
    assert bad.status_code == 422
    assert bad.json()["error"] == {
        "code": "validation",
        "field": "phone",
        "message": "Not a valid phone number",
        "fields": {"phone": "Not a valid phone number"},
    }
    too_long = api.client.get(
        "/api/v1/members", params={"member_no": "M" * 21}, headers=api.headers()
    )
    assert too_long.status_code == 422
    assert api.client.get("/api/v1/members", params={"phone": "13800000001"}).status_code == 401


def test_find_member_needs_members_read(api: ApiWorld, session: Session):
    from dataclasses import replace

    from backoffice.errors import PermissionDenied

    admin = api.actors["admin"]
    assert find_member(session, admin, phone="13800000001") is not None
    with pytest.raises(PermissionDenied):
        find_member(session, replace(admin, permissions=frozenset()), phone="13800000001")


def test_cached_key_revoked_by_another_process_without_redis(
    api: ApiWorld, monkeypatch: pytest.MonkeyPatch
):
    """No Redis: a cached key is checked against its row, so a revocation written by any
    process (here: straight to the table, no after-commit hook) refuses the next call."""
    monkeypatch.setattr(ratelimit.get_settings(), "redis_url", "")  # even where CI has Redis
    h = api.headers("sh")
    assert api.client.get("/api/v1/members", headers=h).status_code == 200
    assert api_keys.cached_grant(api.tokens["sh"]) is not None
    with Session(api.engine) as session:
        session.exec(update(ApiKey).where(ApiKey.name == "SH POS").values(revoked_at=utcnow()))
        session.commit()
    assert api.client.get("/api/v1/members", headers=h).status_code == 401
    assert api_keys.cached_grant(api.tokens["sh"]) is None


def test_cached_key_refused_when_redis_flags_the_revocation(
    api: ApiWorld, monkeypatch: pytest.MonkeyPatch
):
    """With Redis the cached key is not re-read: the rate limiter's script reports the flag
    that the revoking process set (a stand-in for Redis answers here)."""
    flagged: set[str] = set()

    class Buckets:
        async def take(self, key_ref: str, per_minute: int) -> ratelimit.Verdict:
            return ratelimit.Verdict(0.0, revoked=key_ref in flagged, sees_revocations=True)

    monkeypatch.setattr(ratelimit.get_settings(), "redis_url", "redis://unused")
    monkeypatch.setattr(ratelimit, "_redis", Buckets())
    reads: list[int] = []
    real = calls._revoked
    monkeypatch.setattr(calls, "_revoked", lambda key_id: reads.append(key_id) or real(key_id))
    h = api.headers("sh")
    assert api.client.get("/api/v1/members", headers=h).status_code == 200
    assert api.client.get("/api/v1/members", headers=h).status_code == 200
    assert reads == []  # the cached key cost no database read
    flagged.add(api_keys.cached_grant(api.tokens["sh"]).ref)
    assert api.client.get("/api/v1/members", headers=h).status_code == 401
    assert api_keys.cached_grant(api.tokens["sh"]) is None


def test_revocation_commit_forgets_the_key_in_this_process(api: ApiWorld):
    from backoffice.services.org.api_keys import revoke_api_key

    h = api.headers("sh")
    assert api.client.get("/api/v1/members", headers=h).status_code == 200
    with Session(api.engine) as session:
        key = session.exec(select(ApiKey).where(ApiKey.name == "SH POS")).one()
        revoke_api_key(session, api.actors["admin"], key.id)
        assert api_keys.cached_grant(api.tokens["sh"]) is not None  # not before the commit
        session.commit()
    assert api_keys.cached_grant(api.tokens["sh"]) is None


def test_last_used_is_written_at_most_once_a_minute(api: ApiWorld, monkeypatch: pytest.MonkeyPatch):
    touched: list[int] = []
    real = api_keys.touch
    monkeypatch.setattr(
        api_keys, "touch", lambda session, key_id: touched.append(key_id) or real(session, key_id)
    )
    h = api.headers("sh")
    for _ in range(5):
        assert api.client.get("/api/v1/members", headers=h).status_code == 200
    assert len(touched) == 1
    with Session(api.engine) as session:
        first = session.exec(select(ApiKey.last_used_at).where(ApiKey.name == "SH POS")).one()
    later = utcnow() + timedelta(minutes=2)
    monkeypatch.setattr(api_keys, "utcnow", lambda: later)
    assert api.client.get("/api/v1/members", headers=h).status_code == 200
    assert len(touched) == 2
    with Session(api.engine) as session:
        second = session.exec(select(ApiKey.last_used_at).where(ApiKey.name == "SH POS")).one()
    assert second == later and second > first
