"""API keys with a real Redis: the rate limit is one script shared by every process, and a
revocation committed anywhere refuses a key that another process still holds in its cache."""

from __future__ import annotations

import pytest
from redis import Redis
from sqlmodel import Session, select

from backoffice.api import calls, ratelimit
from backoffice.models import ApiKey
from backoffice.services.org import api_keys
from backoffice.services.org.api_keys import revoke_api_key
from backoffice.settings import get_settings
from tests.unit import api_fixtures
from tests.unit import conftest as unit_fixtures
from tests.unit.api_fixtures import ApiWorld

_org_template = unit_fixtures._org_template
org = unit_fixtures.org
api = api_fixtures.api


@pytest.fixture
def redis_api(api: ApiWorld, redis: Redis, redis_url: str, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201
    monkeypatch.setattr(get_settings(), "redis_url", redis_url)
    monkeypatch.setattr(ratelimit, "_redis", None)
    monkeypatch.setattr(ratelimit, "_redis_failed_at", -ratelimit.RETRY_REDIS_AFTER)
    return api


def test_revocation_reaches_a_process_that_cached_the_key(
    redis_api: ApiWorld, redis: Redis, monkeypatch: pytest.MonkeyPatch
):
    api = redis_api
    h = api.headers("sh")
    reads: list[int] = []
    real = calls._revoked
    monkeypatch.setattr(calls, "_revoked", lambda key_id: reads.append(key_id) or real(key_id))
    assert api.client.get("/api/v1/members", headers=h).status_code == 200
    assert api.client.get("/api/v1/members", headers=h).status_code == 200
    assert reads == []  # Redis answered for the revocation: no database read per call
    held = api_keys.cached_grant(api.tokens["sh"])
    assert held is not None
    with Session(api.engine) as session:
        key = session.exec(select(ApiKey).where(ApiKey.name == "SH POS")).one()
        revoke_api_key(session, api.actors["admin"], key.id)
        session.commit()
    assert redis.exists(api_keys.REVOKED_FLAG.format(held.ref)) == 1
    # another process still holds the key in its cache: the flag refuses it all the same
    api_keys._grants[held.secret_hash] = held
    got = api.client.get("/api/v1/members", headers=h)
    assert got.status_code == 401 and got.json()["error"]["code"] == "unauthorized"
    assert api_keys.cached_grant(api.tokens["sh"]) is None


def test_rate_limit_is_kept_in_redis(redis_api: ApiWorld, redis: Redis):
    api = redis_api
    api.new_key("slow", name="slow", permissions=["members.read"], rate_per_minute=2)
    h = api.headers("slow")
    codes = [api.client.get("/api/v1/members", headers=h).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    assert any(k.startswith(b"api:rate:") for k in redis.keys("api:rate:*"))
    # a fresh process (empty memory buckets) still finds the budget spent
    ratelimit.reset_memory()
    api_keys._grants.clear()
    assert api.client.get("/api/v1/members", headers=h).status_code == 429
