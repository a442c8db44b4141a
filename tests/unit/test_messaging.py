"""Message templates and delivery: variables checked at save, banned words, providers."""

from __future__ import annotations

import json
import threading
import warnings
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from sqlmodel import select

from backoffice.db import session_scope
from backoffice.errors import ValidationFailed
from backoffice.models import Channel, MessageStatus, OutboxMessage
from backoffice.models.base import utcnow
from backoffice.services.members.profiles import MemberInput, create_member
from backoffice.services.messaging import delivery as delivery_module
from backoffice.services.messaging.delivery import (
    ChannelPacer,
    claim_due,
    deliver_due,
    lease_seconds,
    record,
)
from backoffice.services.messaging.messages import TemplateInput, create_template
from backoffice.settings import get_settings


def test_unknown_variables_and_banned_words_are_refused_at_save(session, org):
    admin = org.actors["admin"]
    with pytest.raises(ValidationFailed) as err:
        create_template(session, admin, TemplateInput(name="x", body="您好 {{member.nickname}}"))
    assert err.value.errors == {"body": "error.template_variable"}
    assert err.value.params["variables"] == "member.nickname"
    with pytest.raises(ValidationFailed) as err:
        create_template(session, admin, TemplateInput(name="x", body="全国第一品牌，欢迎光临"))
    assert err.value.errors == {"body": "error.banned_words"}
    with pytest.raises(Exception):  # noqa: B017  (PermissionDenied: reception designs nothing)
        create_template(session, org.actors["reception"], TemplateInput(name="x", body="hi"))


def _queued(session, org, channel: Channel, to_email: str = "") -> OutboxMessage:  # noqa: ANN001
    member = create_member(
        session,
        org.actors["admin"],
        MemberInput(
            name="收件人", phone="13800007777", email=to_email, home_store_id=org.stores["SH01"]
        ),
    )
    message = OutboxMessage(
        member_id=member.id,
        channel=channel,
        body="您好",
        subject="问候",
        to=member.email if channel == Channel.EMAIL else member.phone,
        idempotency_key=f"test-{channel}",
    )
    session.add(message)
    session.flush()
    return message


class _Gateway(BaseHTTPRequestHandler):
    received: list[dict] = []
    status = 200

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append({"auth": self.headers.get("Authorization"), **json.loads(body)})
        self.send_response(type(self).status)
        self.end_headers()

    def log_message(self, *args) -> None:  # noqa: ANN002
        return


@pytest.fixture
def gateway(monkeypatch):
    server = HTTPServer(("127.0.0.1", 0), _Gateway)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("SMS_GATEWAY_URL", f"http://127.0.0.1:{server.server_port}/sms")
    monkeypatch.setenv("SMS_GATEWAY_TOKEN", "t0ken")
    get_settings.cache_clear()
    _Gateway.received, _Gateway.status = [], 200
    yield _Gateway
    server.shutdown()
    get_settings.cache_clear()


def _row(session, message_id: int) -> OutboxMessage:  # noqa: ANN001
    """The stored row; the read's transaction ends at once (on SQLite it holds the lock)."""
    session.expire_all()
    row = session.get(OutboxMessage, message_id)
    session.commit()
    return row


def test_sms_goes_to_the_http_gateway_with_its_token(session, engine, org, gateway):
    message = _queued(session, org, Channel.SMS)
    session.commit()
    report = deliver_due(engine)
    assert (report.sent, report.retrying, report.failed) == (1, 0, 0)
    row = _row(session, message.id)
    assert row.status == MessageStatus.SENT and row.attempts == 1 and row.claim_token == ""
    assert gateway.received == [{"auth": "Bearer t0ken", "to": "+8613800007777", "text": "您好"}]
    assert deliver_due(engine).sent == 0  # sent once: nothing left to claim
    assert len(gateway.received) == 1


def test_a_failing_gateway_is_retried_with_backoff_then_marked_failed(
    session, engine, org, gateway, clock, monkeypatch
):
    monkeypatch.setenv("MESSAGE_RETRY_SECONDS", "10,60")
    get_settings.cache_clear()
    gateway.status = 500
    message = _queued(session, org, Channel.SMS)
    session.commit()
    assert deliver_due(engine).retrying == 1
    row = _row(session, message.id)
    assert row.status == MessageStatus.QUEUED and "HTTP 500" in row.error
    assert deliver_due(engine).retrying == 0  # not before its retry is due
    clock.shift(timedelta(seconds=11))
    assert deliver_due(engine).retrying == 1
    clock.shift(timedelta(seconds=61))
    assert deliver_due(engine).failed == 1  # the last retry failed too: failed, reason kept
    row = _row(session, message.id)
    assert row.status == MessageStatus.FAILED and "HTTP 500" in row.error
    assert row.attempts == 3 and len(gateway.received) == 3


def test_a_4xx_fails_at_once_with_the_gateways_reason(session, engine, org, gateway):
    gateway.status = 400
    message = _queued(session, org, Channel.SMS)
    session.commit()
    assert deliver_due(engine).failed == 1
    row = _row(session, message.id)
    assert row.status == MessageStatus.FAILED and row.error.startswith("HTTP 400")
    assert len(gateway.received) == 1


def test_a_refused_connection_is_retried(session, engine, org, monkeypatch):
    monkeypatch.setenv("SMS_GATEWAY_URL", "http://127.0.0.1:9/sms")  # nothing listens there
    get_settings.cache_clear()
    message = _queued(session, org, Channel.SMS)
    session.commit()
    assert deliver_due(engine).retrying == 1
    row = _row(session, message.id)
    assert row.status == MessageStatus.QUEUED and "ConnectError" in row.error
    get_settings.cache_clear()


def test_a_claimed_message_is_not_claimed_twice_until_its_lease_runs_out(
    session, engine, org, clock
):
    message = _queued(session, org, Channel.SMS)
    session.commit()
    with session_scope(engine) as first:
        claims = claim_due(first, utcnow())
    assert [c.id for c in claims] == [message.id]
    with session_scope(engine) as second:
        assert claim_due(second, utcnow()) == []
    clock.shift(timedelta(seconds=lease_seconds(1) + 1))  # the first job died mid-send
    with session_scope(engine) as third:
        again = claim_due(third, utcnow())
    assert [c.id for c in again] == [message.id] and again[0].token != claims[0].token
    with session_scope(engine) as late:  # the first job's answer no longer counts
        assert record(late, claims[0], utcnow(), None) == ""
    with session_scope(engine) as current:
        assert record(current, again[0], utcnow(), None) == MessageStatus.SENT
    assert _row(session, message.id).status == MessageStatus.SENT


def test_sends_per_second_are_paced_per_channel(monkeypatch):
    monkeypatch.setenv("SMS_PER_SECOND", "5")
    get_settings.cache_clear()
    slept: list[float] = []
    pacer = ChannelPacer(sleep=slept.append)
    clock_now = [0.0]
    monkeypatch.setattr(delivery_module.time, "monotonic", lambda: clock_now[0] + sum(slept))
    for _ in range(10):
        pacer.wait(Channel.SMS)
    pacer.wait(Channel.OUTBOX)  # the outbox channel is never paced
    assert 0.9 <= sum(slept) <= 1.1  # 5 at once (the burst), then 5 more at 5 a second
    get_settings.cache_clear()


def test_email_goes_through_smtp(session, engine, org, monkeypatch):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import asyncore
        import smtpd

    received: list[tuple[str, list[str], bytes]] = []

    class Sink(smtpd.SMTPServer):
        def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):  # noqa: ANN001, ANN201, ARG002
            received.append((mailfrom, rcpttos, data))

    server = Sink(("127.0.0.1", 0), None)
    port = server.socket.getsockname()[1]
    loop = threading.Thread(target=asyncore.loop, kwargs={"timeout": 0.1, "count": 50}, daemon=True)
    loop.start()
    monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SMTP_PORT", str(port))
    get_settings.cache_clear()
    try:
        message = _queued(session, org, Channel.EMAIL, to_email="vip@example.com")
        session.commit()
        deliver_due(engine)
    finally:
        server.close()
        get_settings.cache_clear()
    row = _row(session, message.id)
    assert row.status == MessageStatus.SENT, row.error
    assert received and received[0][1] == ["vip@example.com"]
    assert session.exec(select(OutboxMessage)).first() is not None


def test_the_gateway_payload_is_configurable_and_stays_valid_json(
    session, engine, org, gateway, monkeypatch
):
    monkeypatch.setenv(
        "SMS_GATEWAY_PAYLOAD", '{"mobile": "{to}", "content": "{text}", "sign": "美发"}'
    )
    get_settings.cache_clear()
    message = _queued(session, org, Channel.SMS)
    message.body = 'He said "hi"\n再见'
    session.commit()
    deliver_due(engine)
    assert _row(session, message.id).status == MessageStatus.SENT
    assert gateway.received[0] == {
        "auth": "Bearer t0ken",
        "mobile": "+8613800007777",
        "content": 'He said "hi"\n再见',
        "sign": "美发",
    }
