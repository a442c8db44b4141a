"""Message templates and delivery: variables checked at save, banned words, providers."""

from __future__ import annotations

import json
import threading
import warnings
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from sqlmodel import select

from backoffice.errors import ValidationFailed
from backoffice.models import Channel, MessageStatus, OutboxMessage
from backoffice.services.members.profiles import MemberInput, create_member
from backoffice.services.messaging.messages import TemplateInput, create_template, deliver
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


def test_sms_goes_to_the_http_gateway_with_its_token(session, org, gateway):
    message = _queued(session, org, Channel.SMS)
    deliver(session, message)
    assert message.status == MessageStatus.SENT
    assert gateway.received == [{"auth": "Bearer t0ken", "to": "+8613800007777", "text": "您好"}]


def test_a_failing_gateway_is_retried_then_marked_failed(session, org, gateway):
    gateway.status = 500
    message = _queued(session, org, Channel.SMS)
    for _ in range(3):
        deliver(session, message)
    assert message.status == MessageStatus.FAILED and "500" in message.error
    assert message.attempts == 3 and len(gateway.received) == 3


def test_email_goes_through_smtp(session, org, monkeypatch):
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
        deliver(session, message)
    finally:
        server.close()
        get_settings.cache_clear()
    assert message.status == MessageStatus.SENT, message.error
    assert received and received[0][1] == ["vip@example.com"]
    assert session.exec(select(OutboxMessage)).first() is not None


def test_the_gateway_payload_is_configurable_and_stays_valid_json(
    session, org, gateway, monkeypatch
):
    monkeypatch.setenv(
        "SMS_GATEWAY_PAYLOAD", '{"mobile": "{to}", "content": "{text}", "sign": "美发"}'
    )
    get_settings.cache_clear()
    message = _queued(session, org, Channel.SMS)
    message.body = 'He said "hi"\n再见'
    deliver(session, message)
    assert message.status == MessageStatus.SENT
    assert gateway.received[0] == {
        "auth": "Bearer t0ken",
        "mobile": "+8613800007777",
        "content": 'He said "hi"\n再见',
        "sign": "美发",
    }
