"""Outgoing webhooks against a real HTTP receiver started by the test: the signature
verifies, a failing receiver is retried and then shown failed, repeated failures switch
the subscription off, and a redelivery sends again."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlmodel import Session, select

from backoffice.errors import NotFound, ValidationFailed
from backoffice.models import DeliveryStatus, WebhookDelivery, WebhookSubscription
from backoffice.services.messaging import webhooks
from backoffice.services.messaging.webhooks import (
    SubscriptionInput,
    attempt_delivery,
    due_deliveries,
)
from backoffice.settings import get_settings
from backoffice.workflows.triggers import dispatch_events
from tests.unit.foundation_fixtures import add_member


class Receiver:
    """A local endpoint that records what it got and answers with `status`."""

    def __init__(self) -> None:
        self.status = 200
        self.received: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append({"headers": dict(self.headers), "body": body})
                self.send_response(receiver.status)
                self.end_headers()
                self.wfile.write(b"ok" if receiver.status < 300 else b"boom")

            def log_message(self, *args) -> None:  # noqa: ANN002
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.server.shutdown()


@pytest.fixture
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEBHOOK_RETRY_SECONDS", "0,0")
    monkeypatch.setenv("WEBHOOK_DISABLE_AFTER", "2")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _subscribe(session: Session, org, url: str, store: str | None = None):  # noqa: ANN001, ANN202
    made = webhooks.create_subscription(
        session,
        org.actors["admin"],
        SubscriptionInput(
            name="CRM",
            url=url,
            events=["member.created"],
            store_id=org.stores[store] if store else None,
        ),
    )
    session.commit()
    return made


def _deliver_all(engine) -> list:  # noqa: ANN001
    """What the RQ jobs do, run here until nothing is due."""
    outcomes = []
    for _ in range(10):
        with Session(engine) as session:
            due = due_deliveries(session)
        if not due:
            return outcomes
        outcomes += [attempt_delivery(i, a, engine) for i, a in due]
    return outcomes


def test_signature_verifies_at_the_receiver(session, org, engine, receiver):  # noqa: ANN001
    made = _subscribe(session, org, receiver.url)
    stored = session.get(WebhookSubscription, made.subscription.id).secret
    assert stored.startswith("v1:") and made.secret not in stored  # sealed at rest
    member = add_member(session, org.actors["admin"], org.stores["SH01"], "13800000011")
    session.commit()
    dispatch_events(session)
    session.commit()
    _deliver_all(engine)
    assert len(receiver.received) == 1
    got = receiver.received[0]
    timestamp, body = got["headers"]["X-Timestamp"], got["body"]
    expected = hmac.new(
        made.secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    assert got["headers"]["X-Signature"] == "sha256=" + expected
    payload = json.loads(body)
    assert payload["event"] == "member.created" and payload["member_id"] == member.id
    with Session(engine) as s:
        delivery = s.exec(select(WebhookDelivery)).one()
    assert delivery.status == DeliveryStatus.DELIVERED and delivery.response_code == 200


def test_failing_receiver_is_retried_then_shown_failed_then_disabled(
    session,
    org,
    engine,
    receiver,
    quick_retries,  # noqa: ANN001
):
    receiver.status = 500
    made = _subscribe(session, org, receiver.url)
    add_member(session, org.actors["admin"], org.stores["SH01"], "13800000012")
    session.commit()
    dispatch_events(session)
    session.commit()
    outcomes = _deliver_all(engine)
    assert [o.status for o in outcomes] == [
        DeliveryStatus.RETRYING,
        DeliveryStatus.RETRYING,
        DeliveryStatus.FAILED,
    ]
    assert len(receiver.received) == 3  # one attempt plus two retries
    log = webhooks.delivery_log(session, org.actors["admin"], made.subscription.id)
    assert log[0].status == DeliveryStatus.FAILED and log[0].response_code == 500
    assert log[0].attempts == 3 and "HTTP 500" in log[0].error
    # a second event failing for good switches the subscription off (N = 2 in a row)
    add_member(session, org.actors["admin"], org.stores["SH01"], "13800000013")
    session.commit()
    dispatch_events(session)
    session.commit()
    _deliver_all(engine)
    with Session(engine) as s:
        sub = s.get(WebhookSubscription, made.subscription.id)
        assert not sub.active and sub.consecutive_failures == 2 and sub.disabled_reason
    # a disabled subscription gets no new deliveries
    add_member(session, org.actors["admin"], org.stores["SH01"], "13800000014")
    session.commit()
    dispatch_events(session)
    session.commit()
    with Session(engine) as s:
        assert len(s.exec(select(WebhookDelivery)).all()) == 2
    session.expire_all()  # the worker's sessions changed the rows
    with pytest.raises(ValidationFailed):
        webhooks.redeliver(session, org.actors["admin"], log[0].id)


def test_redeliver_after_the_receiver_is_fixed(session, org, engine, receiver, quick_retries):  # noqa: ANN001
    receiver.status = 503
    made = _subscribe(session, org, receiver.url)
    add_member(session, org.actors["admin"], org.stores["SH01"], "13800000015")
    session.commit()
    dispatch_events(session)
    session.commit()
    _deliver_all(engine)
    receiver.status = 200
    delivery = webhooks.delivery_log(session, org.actors["admin"], made.subscription.id)[0]
    assert delivery.status == DeliveryStatus.FAILED
    webhooks.redeliver(session, org.actors["admin"], delivery.id)
    session.commit()
    _deliver_all(engine)
    with Session(engine) as s:
        again = s.get(WebhookDelivery, delivery.id)
        assert again.status == DeliveryStatus.DELIVERED and again.response_code == 200
        assert s.get(WebhookSubscription, made.subscription.id).consecutive_failures == 0


def test_a_claimed_attempt_is_not_sent_twice(session, org, engine, receiver):  # noqa: ANN001
    _subscribe(session, org, receiver.url)
    add_member(session, org.actors["admin"], org.stores["SH01"], "13800000016")
    session.commit()
    dispatch_events(session)
    session.commit()
    with Session(engine) as s:
        ((delivery_id, attempts),) = due_deliveries(s)
    assert attempt_delivery(delivery_id, attempts, engine) is not None
    assert attempt_delivery(delivery_id, attempts, engine) is None  # a duplicate job
    assert len(receiver.received) == 1


def test_store_subscription_only_gets_its_store_events(session, org, engine, receiver):  # noqa: ANN001
    _subscribe(session, org, receiver.url, store="GZ01")
    add_member(session, org.actors["admin"], org.stores["SH01"], "13800000017")
    gz = add_member(session, org.actors["admin"], org.stores["GZ01"], "13800000018")
    session.commit()
    dispatch_events(session)
    session.commit()
    _deliver_all(engine)
    assert [json.loads(r["body"])["member_id"] for r in receiver.received] == [gz.id]


def test_subscription_rules(session, org):  # noqa: ANN001
    owner = org.actors["owner"]
    with pytest.raises(ValidationFailed) as bad:
        webhooks.create_subscription(
            session, owner, SubscriptionInput(name="x", url="ftp://x", events=["nope"])
        )
    assert bad.value.errors == {
        "url": "error.webhook_url",
        "events": "error.choice",
        "store_id": "error.store_scope",
    }
    hq = webhooks.create_subscription(
        session,
        org.actors["admin"],
        SubscriptionInput(name="HQ", url="https://example.com/h", events=["sale.recorded"]),
    )
    assert webhooks.list_subscriptions(session, owner) == []
    with pytest.raises(NotFound):
        webhooks.delivery_log(session, owner, hq.subscription.id)
    from backoffice.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        webhooks.list_subscriptions(session, org.actors["reception"])
