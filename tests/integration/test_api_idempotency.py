"""Idempotency-Key under concurrency, on the real database (SQLite file or PostgreSQL):
the same top-up sent twice at once changes the balance once, and both callers get the
same answer."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from datetime import datetime, timedelta

from sqlmodel import Session, delete, func, select

from backoffice.api import calls
from backoffice.models import IdempotencyRecord, WalletEntry
from backoffice.services.loyalty import wallet
from tests.unit import api_fixtures
from tests.unit import conftest as unit_fixtures
from tests.unit.api_fixtures import ApiWorld

# the unit suite's seeded organisation and API fixture, on this suite's real database
_org_template = unit_fixtures._org_template
org = unit_fixtures.org
api = api_fixtures.api


def test_same_topup_twice_concurrently_changes_balance_once(api: ApiWorld, monkeypatch):  # noqa: ANN001
    real_top_up = wallet.top_up
    inside = threading.Event()

    def slow_top_up(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        inside.set()
        time.sleep(0.5)  # the twin arrives while the first is still writing
        return real_top_up(*args, **kwargs)

    monkeypatch.setattr(wallet, "top_up", slow_top_up)
    member = api.members["sh"]
    url = f"/api/v1/members/{member}/wallet/topups"
    body = {"store_id": api.stores["SH01"], "amount_cents": 50000}
    headers = api.headers("sh", **{"Idempotency-Key": "pos-7-receipt-1001"})
    answers: list = [None, None]

    def send(i: int) -> None:
        answers[i] = api.client.post(url, json=body, headers=headers)

    first = threading.Thread(target=send, args=(0,))
    first.start()
    assert inside.wait(10)
    second = threading.Thread(target=send, args=(1,))
    second.start()
    first.join(30)
    second.join(30)
    assert [a.status_code for a in answers] == [201, 201], [a.text for a in answers]
    assert answers[0].json() == answers[1].json()
    assert answers[1].headers.get("idempotent-replayed") == "true"
    with Session(api.engine) as session:
        assert wallet.balances(session, member) == (50000, 0)
        assert session.exec(select(func.count()).select_from(WalletEntry)).one() == 1
        assert session.exec(select(func.count()).select_from(IdempotencyRecord)).one() == 1


def test_replay_after_the_fact_and_key_reuse_for_another_request(api: ApiWorld):
    member = api.members["sh"]
    url = f"/api/v1/members/{member}/wallet/topups"
    headers = api.headers("sh", **{"Idempotency-Key": "k-1"})
    body = {"store_id": api.stores["SH01"], "amount_cents": 1000}
    one = api.client.post(url, json=body, headers=headers)
    two = api.client.post(url, json=body, headers=headers)
    assert one.json() == two.json() and two.headers["idempotent-replayed"] == "true"
    other = api.client.post(url, json={**body, "amount_cents": 2000}, headers=headers)
    assert other.status_code == 422
    assert other.json()["error"]["code"] == "idempotency_mismatch"
    # another key may use the same Idempotency-Key for its own request
    api.new_key(
        "sh2", name="SH POS 2", permissions=["wallet.topup"], store_ids=[api.stores["SH01"]]
    )
    mine = api.client.post(url, json=body, headers=api.headers("sh2", **{"Idempotency-Key": "k-1"}))
    assert mine.status_code == 201 and mine.json()["id"] != one.json()["id"]
    with Session(api.engine) as session:
        assert wallet.balances(session, member)[0] == 2000


def test_a_failed_write_releases_its_key(api: ApiWorld):
    url = f"/api/v1/members/{api.members['sh']}/wallet/topups"
    headers = api.headers("sh", **{"Idempotency-Key": "retry-me"})
    bad = api.client.post(
        url, json={"store_id": api.stores["SH01"], "amount_cents": 0}, headers=headers
    )
    assert bad.status_code == 422
    good = api.client.post(
        url, json={"store_id": api.stores["SH01"], "amount_cents": 0}, headers=headers
    )
    assert good.status_code == 422 and "idempotent-replayed" not in good.headers
    with Session(api.engine) as session:
        assert session.exec(select(func.count()).select_from(IdempotencyRecord)).one() == 0


def _pending_record(api: ApiWorld, key: str, url: str, body: dict, age_seconds: float) -> datetime:
    """The record a call leaves behind when its process dies mid-write (its transaction rolled
    back): pending, with the request's hash, started `age_seconds` ago."""
    from backoffice.models import ApiKey
    from backoffice.models.base import utcnow

    raw = json.dumps(body).encode()
    method_path = f"POST {url}"
    with Session(api.engine) as session:
        key_id = session.exec(select(ApiKey.id).where(ApiKey.name == "SH POS")).one()
        record = IdempotencyRecord(
            api_key_id=key_id,
            key=key,
            method_path=method_path,
            request_hash=hashlib.sha256(method_path.encode() + b"\n" + raw).hexdigest(),
            created_at=utcnow() - timedelta(seconds=age_seconds),
        )
        session.add(record)
        session.commit()
        return record.created_at


def test_a_retry_takes_over_a_key_whose_first_call_died(api: ApiWorld):
    member = api.members["sh"]
    url = f"/api/v1/members/{member}/wallet/topups"
    body = {"store_id": api.stores["SH01"], "amount_cents": 700}
    dead_started = _pending_record(api, "crashed-1", url, body, calls.PENDING_TAKEOVER_SECONDS + 5)
    headers = api.headers(
        "sh", **{"Idempotency-Key": "crashed-1", "Content-Type": "application/json"}
    )
    retry = api.client.post(url, content=json.dumps(body), headers=headers)
    assert retry.status_code == 201, retry.text
    assert "idempotent-replayed" not in retry.headers
    again = api.client.post(url, content=json.dumps(body), headers=headers)
    assert again.headers["idempotent-replayed"] == "true" and again.json() == retry.json()
    with Session(api.engine) as session:
        assert wallet.balances(session, member) == (700, 0)
        records = session.exec(select(IdempotencyRecord)).all()
        assert [(r.key, r.status) for r in records] == [("crashed-1", 201)]
        assert records[0].created_at > dead_started


def test_a_recent_pending_key_is_not_taken_over(api: ApiWorld, monkeypatch):  # noqa: ANN001
    monkeypatch.setattr(calls, "REPLAY_WAIT_SECONDS", 0.3)
    member = api.members["sh"]
    url = f"/api/v1/members/{member}/wallet/topups"
    body = {"store_id": api.stores["SH01"], "amount_cents": 700}
    _pending_record(api, "running-1", url, body, calls.PENDING_TAKEOVER_SECONDS - 20)
    headers = api.headers(
        "sh", **{"Idempotency-Key": "running-1", "Content-Type": "application/json"}
    )
    got = api.client.post(url, content=json.dumps(body), headers=headers)
    assert got.status_code == 409 and got.json()["error"]["code"] == "idempotency_in_progress"
    assert got.headers["retry-after"] == "1"
    # a different request under the same key is still refused, stale or not
    _pending_record(api, "crashed-2", url, body, calls.PENDING_TAKEOVER_SECONDS + 5)
    other = api.client.post(
        url,
        content=json.dumps({**body, "amount_cents": 1}),
        headers=api.headers(
            "sh", **{"Idempotency-Key": "crashed-2", "Content-Type": "application/json"}
        ),
    )
    assert other.status_code == 422 and other.json()["error"]["code"] == "idempotency_mismatch"
    with Session(api.engine) as session:
        assert wallet.balances(session, member) == (0, 0)


def test_a_call_whose_key_was_taken_over_rolls_its_write_back(api: ApiWorld, monkeypatch):  # noqa: ANN001
    """Were the first call still running when a retry took its key over, storing its answer
    finds the record gone: its write is rolled back and it answers 409 (the retry's stays)."""
    real_top_up = wallet.top_up

    def overtaken_top_up(session, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        entry = real_top_up(session, *args, **kwargs)
        session.exec(delete(IdempotencyRecord))  # as the retry's takeover would have
        return entry

    monkeypatch.setattr(wallet, "top_up", overtaken_top_up)
    member = api.members["sh"]
    url = f"/api/v1/members/{member}/wallet/topups"
    got = api.client.post(
        url,
        json={"store_id": api.stores["SH01"], "amount_cents": 900},
        headers=api.headers("sh", **{"Idempotency-Key": "overtaken-1"}),
    )
    assert got.status_code == 409 and got.json()["error"]["code"] == "idempotency_in_progress"
    with Session(api.engine) as session:
        assert wallet.balances(session, member) == (0, 0)
        assert session.exec(select(func.count()).select_from(WalletEntry)).one() == 0
