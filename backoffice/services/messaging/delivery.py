"""Delivering the outbox, each message once: claimed, sent, recorded.

A delivery job claims a few due messages (status SENDING with a lease and its own token, in
one short transaction; `FOR UPDATE SKIP LOCKED` on PostgreSQL, SQLite's write lock
elsewhere), sends them with no transaction open, then records each answer only if its claim
still stands. So two workers never send the same message, a slow gateway holds no lock, and
a worker that dies mid-send leaves messages whose lease runs out and are claimed again.

A timeout, a refused connection or a 5xx is retried with backoff (MESSAGE_RETRY_SECONDS);
a 4xx, a missing address or the last retry ends as "failed" with the reason kept. Sends per
second per channel are limited across all workers (a token bucket in Redis when there is
one).
"""

from __future__ import annotations

import json
import smtplib
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage

import httpx
from redis import Redis
from sqlalchemy import or_, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from backoffice.db import session_scope
from backoffice.models import Channel, MessageStatus, OutboxMessage
from backoffice.models.base import utcnow
from backoffice.services.reports import daily_stats
from backoffice.settings import get_settings

CLAIM_SIZE = 20  # messages a job claims at a time


class RetryLater(Exception):
    """The provider could not take the message now (timeout, refused, 5xx)."""


class Undeliverable(Exception):
    """The provider refused the message for good (4xx), or it has no address."""


@dataclass(frozen=True)
class Claim:
    id: int
    token: str
    member_id: int
    channel: Channel
    to: str
    subject: str
    body: str
    attempts: int


@dataclass
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    by_channel: dict[str, int] = field(default_factory=dict)


def retry_delays() -> list[timedelta]:
    raw = get_settings().message_retry_seconds
    return [timedelta(seconds=int(s)) for s in raw.split(",") if s.strip()]


def lease_seconds(size: int = CLAIM_SIZE) -> float:
    """Long enough for `size` sends at the provider timeout, and a margin."""
    return size * get_settings().message_timeout_seconds + 30


def claim_due(session: Session, now: datetime, limit: int = CLAIM_SIZE) -> list[Claim]:
    """Claim up to `limit` messages that are due: queued (and their retry time has come), or
    left SENDING by a job whose lease ran out. The caller commits before sending."""
    due = or_(
        (col(OutboxMessage.status) == MessageStatus.QUEUED)
        & or_(
            col(OutboxMessage.next_attempt_at).is_(None),
            col(OutboxMessage.next_attempt_at) <= now,
        ),
        (col(OutboxMessage.status) == MessageStatus.SENDING)
        & (col(OutboxMessage.lease_until) < now),
    )
    rows = session.exec(
        select(OutboxMessage)
        .where(due)
        .order_by(col(OutboxMessage.id))
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    if not rows:
        return []
    token = uuid.uuid4().hex
    until = now + timedelta(seconds=lease_seconds(len(rows)))
    session.execute(
        update(OutboxMessage)
        .where(col(OutboxMessage.id).in_([r.id for r in rows]))
        .values(status=MessageStatus.SENDING, lease_until=until, claim_token=token)
    )
    return [
        Claim(
            id=r.id or 0,
            token=token,
            member_id=r.member_id,
            channel=r.channel,
            to=r.to,
            subject=r.subject,
            body=r.body,
            attempts=r.attempts,
        )
        for r in rows
    ]


def sms_payload(template: str, to: str, text: str) -> bytes:
    """Fill the gateway's JSON body: values are JSON-escaped, so any text stays valid JSON."""

    def escaped(value: str) -> str:
        return json.dumps(value, ensure_ascii=False)[1:-1]

    body = template.replace("{to}", escaped(to)).replace("{text}", escaped(text))
    json.loads(body)  # a broken template fails here, recorded on the message
    return body.encode()


def send(claim: Claim) -> None:
    """Hand one message to its provider. Raises RetryLater or Undeliverable."""
    settings = get_settings()
    if claim.channel == Channel.OUTBOX:
        return
    if not claim.to:
        raise Undeliverable("no address for this channel")
    if claim.channel == Channel.SMS:
        _send_sms(claim)
    elif claim.channel == Channel.EMAIL:
        if not settings.smtp_host:
            raise RetryLater("SMTP_HOST is not configured")
        mail = EmailMessage()
        mail["From"], mail["To"], mail["Subject"] = settings.smtp_from, claim.to, claim.subject
        mail.set_content(claim.body)
        try:
            with smtplib.SMTP(
                settings.smtp_host, settings.smtp_port, timeout=settings.message_timeout_seconds
            ) as smtp:
                if settings.smtp_user:
                    smtp.login(settings.smtp_user, settings.smtp_password)
                smtp.send_message(mail)
        except smtplib.SMTPRecipientsRefused as exc:
            raise Undeliverable(f"recipient refused: {exc.recipients}") from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise RetryLater(f"{type(exc).__name__}: {exc}") from exc


def _send_sms(claim: Claim) -> None:
    settings = get_settings()
    if not settings.sms_gateway_url:
        raise RetryLater("SMS_GATEWAY_URL is not configured")
    try:
        payload = sms_payload(settings.sms_gateway_payload, claim.to, claim.body)
    except ValueError as exc:
        raise Undeliverable(f"SMS_GATEWAY_PAYLOAD is not valid JSON: {exc}") from exc
    headers = {"Content-Type": "application/json"}
    if settings.sms_gateway_token:
        headers["Authorization"] = f"Bearer {settings.sms_gateway_token}"
    try:
        response = httpx.post(
            settings.sms_gateway_url,
            content=payload,
            headers=headers,
            timeout=settings.message_timeout_seconds,
        )
    except httpx.HTTPError as exc:
        raise RetryLater(f"{type(exc).__name__}: {exc}") from exc
    reason = f"HTTP {response.status_code}: {response.text[:300]}"
    if response.status_code >= 500 or response.status_code == 429:
        raise RetryLater(reason)
    if response.status_code >= 400:
        raise Undeliverable(reason)


def record(session: Session, claim: Claim, now: datetime, error: Exception | None) -> str:
    """The answer for one claimed message, if the claim still stands; returns the status
    written ("" when another job had taken the message over)."""
    attempts = claim.attempts + 1
    values: dict[str, object] = {"attempts": attempts, "lease_until": None, "claim_token": ""}
    if error is None:
        values.update(status=MessageStatus.SENT, sent_at=now, error="", next_attempt_at=None)
    else:
        delays = retry_delays()
        reason = str(error)[:1000]
        if isinstance(error, RetryLater) and attempts <= len(delays):
            values.update(
                status=MessageStatus.QUEUED,
                error=reason,
                next_attempt_at=now + delays[attempts - 1],
            )
        else:
            values.update(status=MessageStatus.FAILED, error=reason, next_attempt_at=None)
    done = session.execute(
        update(OutboxMessage)
        .where(
            col(OutboxMessage.id) == claim.id,
            col(OutboxMessage.claim_token) == claim.token,
            col(OutboxMessage.status) == MessageStatus.SENDING,
        )
        .values(**values)
    )
    if not done.rowcount:  # type: ignore[attr-defined]
        return ""
    if values["status"] == MessageStatus.SENT:
        daily_stats.messages_sent(session, [(claim.member_id, now)])
    return str(values["status"])


# ---- the per-channel rate limit -----------------------------------------------------------

_BUCKET = """
local rate = tonumber(ARGV[1])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local data = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(data[1]) or rate
local ts = tonumber(data[2]) or now
tokens = math.min(rate, tokens + math.max(0, now - ts) * rate)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = (1 - tokens) / rate end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('EXPIRE', KEYS[1], 10)
return tostring(wait)
"""


class ChannelPacer:
    """Sends per second per channel: shared through Redis when given a connection, else
    this process's own bucket. `wait(channel)` sleeps until a send is allowed."""

    def __init__(self, redis: Redis | None = None, sleep: Callable[[float], None] = time.sleep):
        self._redis = redis
        self._script = redis.register_script(_BUCKET) if redis is not None else None
        self._sleep = sleep
        self._lock = threading.Lock()
        self._local: dict[str, tuple[float, float]] = {}

    @staticmethod
    def rate(channel: Channel) -> float:
        settings = get_settings()
        if channel == Channel.SMS:
            return settings.sms_per_second
        if channel == Channel.EMAIL:
            return settings.email_per_second
        return 0.0  # the outbox channel costs nothing

    def _take(self, channel: Channel, rate: float) -> float:
        if self._script is not None:
            try:
                key = f"backoffice:send-rate:{channel.value}"
                return float(self._script(keys=[key], args=[rate]))
            except Exception:  # noqa: BLE001  (Redis away: pace this process alone)
                pass
        now = time.monotonic()
        with self._lock:
            tokens, ts = self._local.get(channel.value, (rate, now))
            tokens = min(rate, tokens + (now - ts) * rate)
            wait = 0.0
            if tokens >= 1:
                tokens -= 1
            else:
                wait = (1 - tokens) / rate
            self._local[channel.value] = (tokens, now)
        return wait

    def wait(self, channel: Channel) -> None:
        rate = self.rate(channel)
        if rate <= 0:
            return
        while (delay := self._take(channel, rate)) > 0:
            self._sleep(min(delay, 1.0))


def deliver_due(
    engine: Engine | None = None,
    pacer: ChannelPacer | None = None,
    max_messages: int = 5000,
    sender: Callable[[Claim], None] = send,
) -> DeliveryReport:
    """Claim, send and record due messages until none is due or `max_messages` were tried."""
    pacer = pacer or ChannelPacer()
    report = DeliveryReport()
    tried = 0
    while tried < max_messages:
        with session_scope(engine) as session:
            claims = claim_due(session, utcnow(), min(CLAIM_SIZE, max_messages - tried))
        if not claims:
            break
        for claim in claims:
            pacer.wait(claim.channel)
            error: Exception | None = None
            try:
                sender(claim)
            except (RetryLater, Undeliverable) as exc:
                error = exc
            except Exception as exc:  # noqa: BLE001  (anything else: try again later)
                error = RetryLater(f"{type(exc).__name__}: {exc}")
            with session_scope(engine) as session:
                status = record(session, claim, utcnow(), error)
            tried += 1
            if status == MessageStatus.SENT:
                report.sent += 1
                report.by_channel[claim.channel.value] = (
                    report.by_channel.get(claim.channel.value, 0) + 1
                )
            elif status == MessageStatus.QUEUED:
                report.retrying += 1
            elif status == MessageStatus.FAILED:
                report.failed += 1
    return report


def queued_count(session: Session, now: datetime) -> int:
    """Messages due for delivery now (the queue depth the operations page shows)."""
    return int(
        session.exec(
            select(func.count())
            .select_from(OutboxMessage)
            .where(
                col(OutboxMessage.status) == MessageStatus.QUEUED,
                or_(
                    col(OutboxMessage.next_attempt_at).is_(None),
                    col(OutboxMessage.next_attempt_at) <= now,
                ),
            )
        ).one()
    )


def next_retry_at(session: Session) -> datetime | None:
    """When the earliest queued retry is due (None: no retry waits)."""
    return session.exec(
        select(func.min(OutboxMessage.next_attempt_at)).where(
            col(OutboxMessage.status) == MessageStatus.QUEUED,
            col(OutboxMessage.next_attempt_at).is_not(None),
        )
    ).one()
