"""Outgoing webhooks end to end: a member created in this process emits an event, a real RQ
worker process (with its scheduler, which brings back the delayed retries) fans it out and
POSTs it to real local HTTP receivers. The good receiver verifies the signature with the
secret shown at creation; the failing one is tried 1 + retries times under one delivery key
and the log then shows the delivery failed with its response code; two such failures in a
row switch the subscription off; after the receiver is fixed, a redelivery arrives."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlmodel import Session, select

import backoffice.db
from backoffice.models import DeliveryStatus, WebhookSubscription
from backoffice.services.members.profiles import MemberInput, create_member
from backoffice.services.messaging import webhooks
from backoffice.services.messaging.webhook_jobs import enqueue_due
from backoffice.services.messaging.webhooks import (
    SubscriptionInput,
    create_subscription,
    delivery_log,
)
from tests.integration.test_workflows_rq import _stop, _wait_for, _worker, world  # noqa: F401

pytestmark = pytest.mark.integration


class Receivers:
    """/good answers 200; /bad answers `bad_status`. Every request is kept."""

    def __init__(self) -> None:
        self.bad_status = 503
        self.received: list[tuple[str, dict[str, str], bytes]] = []
        receivers = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receivers.received.append((self.path, dict(self.headers), body))
                status = 200 if self.path == "/good" else receivers.bad_status
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"ok" if status == 200 else b"down for maintenance")

            def log_message(self, *args) -> None:  # noqa: ANN002
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def to(self, path: str) -> list[tuple[dict[str, str], bytes]]:
        return [(h, b) for p, h, b in list(self.received) if p == path]


def verify(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """What a receiver does (README): HMAC-SHA256 of "<X-Timestamp>.<body>" with the secret,
    compared in constant time, and a timestamp no older than five minutes."""
    timestamp = headers["X-Timestamp"]
    expected = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    sent = headers["X-Signature"].removeprefix("sha256=")
    return hmac.compare_digest(expected.hexdigest(), sent) and (
        abs(time.time() - int(timestamp)) < 300
    )


def test_webhooks_signed_retried_failed_disabled_and_redelivered(world, monkeypatch):  # noqa: ANN001, F811
    receivers = Receivers()
    engine, admin, sh = world["engine"], world["admin"], world["stores"]["SH01"]
    env = dict(world["env"], WEBHOOK_RETRY_SECONDS="1,1", WEBHOOK_DISABLE_AFTER="2")
    with Session(engine, expire_on_commit=False) as session:
        good = create_subscription(
            session,
            admin,
            SubscriptionInput(name="CRM", url=receivers.base + "/good", events=["member.created"]),
        )
        bad = create_subscription(
            session,
            admin,
            SubscriptionInput(
                name="Broken", url=receivers.base + "/bad", events=["member.created"]
            ),
        )
        session.commit()
        first = create_member(
            session, admin, MemberInput(name="钩子一", phone="13911112001", home_store_id=sh)
        )
        session.commit()  # after the commit, the dispatch job is on the queue
    worker = _worker(env)
    try:
        _wait_for(lambda: len(receivers.to("/bad")) >= 3 and receivers.to("/good"), timeout=120)
        with Session(engine) as session:
            second = create_member(
                session, admin, MemberInput(name="钩子二", phone="13911112002", home_store_id=sh)
            )
            session.commit()
            second_id = second.id
        _wait_for(lambda: len(receivers.to("/bad")) >= 6 and len(receivers.to("/good")) >= 2)

        def bad_log():  # noqa: ANN202
            with Session(engine) as session:
                return delivery_log(session, admin, bad.subscription.id)

        _wait_for(lambda: [d.status for d in bad_log()] == [DeliveryStatus.FAILED] * 2, timeout=60)
    finally:
        _stop(worker)
        receivers.server.shutdown()

    # the good receiver: one signed POST per event, verifiable with the secret shown once
    got = receivers.to("/good")
    assert len(got) == 2
    for headers, body in got:
        assert verify(good.secret, headers, body)
        assert not verify(bad.secret, headers, body)
    payloads = [json.loads(body) for _, body in got]
    assert [p["event"] for p in payloads] == ["member.created"] * 2
    assert {p["member_id"] for p in payloads} == {first.id, second_id}
    tampered = got[0][1].replace(b"member.created", b"member.deleted")
    assert not verify(good.secret, got[0][0], tampered)

    # the failing receiver: three attempts per delivery under one key, then failed
    tries = receivers.to("/bad")
    assert len(tries) == 6
    keys = [h["X-Idempotency-Key"] for h, _ in tries]
    assert len(set(keys)) == 2 and all(keys.count(k) == 3 for k in keys)
    assert all(verify(bad.secret, h, b) for h, b in tries)
    log = bad_log()
    assert [(d.status, d.attempts, d.response_code) for d in log] == [
        (DeliveryStatus.FAILED, 3, 503)
    ] * 2
    assert all("HTTP 503" in d.error and "down for maintenance" in d.error for d in log)
    with Session(engine) as session:
        broken = session.get(WebhookSubscription, bad.subscription.id)
        crm = session.get(WebhookSubscription, good.subscription.id)
    assert not broken.active and broken.consecutive_failures == 2 and broken.disabled_reason
    assert crm.active and crm.consecutive_failures == 0

    # fixed and switched back on: a redelivery of the first failure arrives
    receivers = Receivers()
    with Session(engine, expire_on_commit=False) as session:
        webhooks.update_subscription(
            session,
            admin,
            bad.subscription.id,
            SubscriptionInput(
                name="Broken", url=receivers.base + "/good", events=["member.created"]
            ),
        )
        session.commit()
        oldest = log[-1]
        webhooks.redeliver(session, admin, oldest.id)
        session.commit()
    monkeypatch.setattr(backoffice.db, "get_engine", lambda: engine)
    assert enqueue_due(world["redis"]) == 1  # as the page does after a redelivery
    worker = _worker(env)
    try:
        _wait_for(lambda: len(receivers.to("/good")) == 1, timeout=60)
        _wait_for(lambda: bad_log()[-1].status == DeliveryStatus.DELIVERED, timeout=30)
    finally:
        _stop(worker)
        receivers.server.shutdown()
    ((headers, body),) = receivers.to("/good")
    assert verify(bad.secret, headers, body) and json.loads(body)["member_id"] == first.id
    assert headers["X-Idempotency-Key"] == keys[0]  # the same delivery, sent again
    with Session(engine) as session:
        fixed = session.exec(
            select(WebhookSubscription).where(WebhookSubscription.id == bad.subscription.id)
        ).one()
    assert fixed.active and fixed.consecutive_failures == 0
    assert bad_log()[-1].response_code == 200
