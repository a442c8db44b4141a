"""Outgoing webhooks: subscriptions to domain events, deliveries with retries, the log.

Fan-out happens in the transaction that dispatches domain events (workflows/triggers.py),
so each event becomes exactly one delivery row per matching subscription. Each attempt
first claims the row with a conditional update (attempts = n → n + 1), so two workers that
got the same job never post twice, and no database lock is held during the HTTP call.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlparse

from pydantic import BaseModel
from sqlmodel import Session, col, or_, select, update

from backoffice.db import session_scope
from backoffice.errors import NotFound, ValidationFailed
from backoffice.models import (
    DeliveryStatus,
    DomainEvent,
    Member,
    Store,
    WebhookDelivery,
    WebhookSubscription,
)
from backoffice.models.base import utcnow
from backoffice.sealed import seal, unseal
from backoffice.services.messaging.signed_http import WebhookFailed, post_signed
from backoffice.services.org import audit
from backoffice.services.org.access import Actor, require
from backoffice.settings import get_settings

# The domain events a subscription can ask for (services emit these names).
WEBHOOK_EVENTS: tuple[str, ...] = (
    "member.created",
    "member.updated",
    "member.status_changed",
    "sale.recorded",
    "sale.refunded",
    "points.redeemed",
    "points.expiring",
    "wallet.topped_up",
    "wallet.low_balance",
    "coupon.issued",
    "tier.changed",
)


class SubscriptionInput(BaseModel):
    name: str = ""
    url: str = ""
    events: list[str] = []
    store_id: int | None = None  # None: the whole organisation (HQ only)
    active: bool = True


@dataclass
class NewSubscription:
    subscription: WebhookSubscription
    secret: str  # shown when created; the receiver verifies signatures with it


def retry_waits() -> list[int]:
    """Seconds to wait before each retry; one more attempt than waits."""
    raw = get_settings().webhook_retry_seconds
    return [int(x) for x in raw.split(",") if x.strip()]


def _visible(actor: Actor, sub: WebhookSubscription) -> bool:
    return actor.store_ids is None or (sub.store_id is not None and sub.store_id in actor.store_ids)


def _validate(session: Session, actor: Actor, data: SubscriptionInput) -> dict[str, Any]:
    errors: dict[str, str] = {}
    name = data.name.strip()
    if not name:
        errors["name"] = "error.required"
    elif len(name) > 100:
        errors["name"] = "error.too_long"
    url = data.url.strip()
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc or len(url) > 500:
        errors["url"] = "error.webhook_url"
    events = sorted(set(data.events))
    if not events:
        errors["events"] = "error.required"
    elif any(e not in WEBHOOK_EVENTS for e in events):
        errors["events"] = "error.choice"
    if data.store_id is None:
        if actor.store_ids is not None:
            errors["store_id"] = "error.store_scope"
    elif session.get(Store, data.store_id) is None:
        errors["store_id"] = "error.store_unknown"
    elif not actor.in_scope(data.store_id):
        errors["store_id"] = "error.store_scope"
    if errors:
        raise ValidationFailed(errors)
    return {
        "name": name,
        "url": url,
        "events": events,
        "store_id": data.store_id,
        "active": data.active,
    }


def create_subscription(session: Session, actor: Actor, data: SubscriptionInput) -> NewSubscription:
    require(actor, "webhooks.manage")
    values = _validate(session, actor, data)
    secret = "whsec_" + secrets.token_urlsafe(24)
    sub = WebhookSubscription(**values, secret=seal(secret), created_by=actor.staff_id)
    session.add(sub)
    session.flush()
    audit.record(
        session,
        actor,
        "webhooks.create",
        target_type="webhook",
        target_id=sub.id,
        store_id=sub.store_id,
        changes=values,
    )
    return NewSubscription(subscription=sub, secret=secret)


def _load(session: Session, actor: Actor, sub_id: int) -> WebhookSubscription:
    sub = session.get(WebhookSubscription, sub_id)
    if sub is None or not _visible(actor, sub):
        raise NotFound("error.not_found")
    return sub


def update_subscription(
    session: Session, actor: Actor, sub_id: int, data: SubscriptionInput
) -> WebhookSubscription:
    """Edit; switching it back on clears the failure count that disabled it."""
    require(actor, "webhooks.manage")
    sub = _load(session, actor, sub_id)
    values = _validate(session, actor, data)
    if values["active"] and not sub.active:
        sub.consecutive_failures = 0
        sub.disabled_reason = ""
    audit.record_update(session, actor, sub, values, "webhooks.update", "webhook")
    return sub


def list_subscriptions(session: Session, actor: Actor) -> list[WebhookSubscription]:
    require(actor, "webhooks.manage")
    rows = session.exec(select(WebhookSubscription).order_by(col(WebhookSubscription.id))).all()
    return [s for s in rows if _visible(actor, s)]


def delivery_log(
    session: Session, actor: Actor, sub_id: int, limit: int = 50
) -> list[WebhookDelivery]:
    """The latest deliveries of one subscription, newest first."""
    require(actor, "webhooks.manage")
    _load(session, actor, sub_id)
    return list(
        session.exec(
            select(WebhookDelivery)
            .where(WebhookDelivery.subscription_id == sub_id)
            .order_by(col(WebhookDelivery.id).desc())
            .limit(limit)
        ).all()
    )


def redeliver(session: Session, actor: Actor, delivery_id: int) -> WebhookDelivery:
    """Send a delivery again (after fixing the receiver): a new round of attempts."""
    require(actor, "webhooks.manage")
    delivery = session.get(WebhookDelivery, delivery_id)
    if delivery is None:
        raise NotFound("error.not_found")
    sub = _load(session, actor, delivery.subscription_id)
    if not sub.active:
        raise ValidationFailed({"subscription": "error.webhook_disabled"})
    delivery.status = DeliveryStatus.PENDING
    delivery.attempts = 0
    delivery.next_attempt_at = utcnow()
    delivery.error = ""
    session.add(delivery)
    audit.record(
        session,
        actor,
        "webhooks.redeliver",
        target_type="webhook",
        target_id=sub.id,
        store_id=sub.store_id,
        changes={"delivery": delivery_id, "event": delivery.event_id},
    )
    return delivery


# ---- fan-out and delivery (workers; no actor) -------------------------------------------


def fan_out(session: Session, events: list[DomainEvent]) -> int:
    """One delivery per (event, matching active subscription), in the dispatch transaction."""
    subs = session.exec(
        select(WebhookSubscription).where(col(WebhookSubscription.active).is_(True))
    ).all()
    if not subs or not events:
        return 0
    now = utcnow()
    created = 0
    for event in events:
        store_id = event.store_id
        for sub in subs:
            if event.name not in sub.events:
                continue
            if sub.store_id is not None:
                if store_id is None and event.member_id is not None:
                    member = session.get(Member, event.member_id)
                    store_id = member.home_store_id if member else None
                if store_id != sub.store_id:
                    continue
            session.add(
                WebhookDelivery(
                    subscription_id=sub.id or 0,
                    event_id=event.id or 0,
                    event_name=event.name,
                    next_attempt_at=now,
                )
            )
            created += 1
    session.flush()
    return created


def due_deliveries(
    session: Session, now: datetime | None = None, limit: int = 500
) -> list[tuple[int, int]]:
    """(delivery id, attempts so far) of deliveries whose next attempt is due."""
    now = now or utcnow()
    rows = session.exec(
        select(WebhookDelivery.id, WebhookDelivery.attempts)
        .where(
            or_(
                WebhookDelivery.status == DeliveryStatus.PENDING,
                WebhookDelivery.status == DeliveryStatus.RETRYING,
            ),
            col(WebhookDelivery.next_attempt_at) <= now,
        )
        .order_by(col(WebhookDelivery.id))
        .limit(limit)
    ).all()
    return [(int(i or 0), int(a)) for i, a in rows]


def payload_for(event: DomainEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "event": event.name,
        "created_at": event.created_at.isoformat(),
        "store_id": event.store_id,
        "member_id": event.member_id,
        "data": event.payload,
    }


@dataclass
class Attempt:
    delivery_id: int
    status: DeliveryStatus
    response_code: int | None
    retry_in: int | None  # seconds, when another attempt is scheduled


def _claim(session: Session, delivery_id: int, attempts: int) -> bool:
    result = session.exec(
        update(WebhookDelivery)
        .where(
            col(WebhookDelivery.id) == delivery_id,
            col(WebhookDelivery.attempts) == attempts,
            col(WebhookDelivery.status).in_([DeliveryStatus.PENDING, DeliveryStatus.RETRYING]),
        )
        .values(attempts=attempts + 1)
    )
    return result.rowcount == 1


def attempt_delivery(delivery_id: int, attempts: int, engine: Any = None) -> Attempt | None:
    """One attempt: claim, POST (no transaction open), record the outcome. None: not ours."""
    with session_scope(engine) as session:
        if not _claim(session, delivery_id, attempts):
            return None
        delivery = session.get(WebhookDelivery, delivery_id)
        sub = session.get(WebhookSubscription, delivery.subscription_id) if delivery else None
        event = session.get(DomainEvent, delivery.event_id) if delivery else None
        if delivery is None or sub is None or event is None:
            return None
        url, secret, active = sub.url, unseal(sub.secret), sub.active
        payload = payload_for(event)
    code: int | None = None
    error = ""
    if active:
        try:
            code = post_signed(url, payload, secret, f"delivery-{delivery_id}")
        except WebhookFailed as exc:
            code, error = exc.status_code, str(exc)[:500]
    else:
        error = "subscription disabled"
    with session_scope(engine) as session:
        delivery = session.get(WebhookDelivery, delivery_id)
        assert delivery is not None
        sub = session.exec(
            select(WebhookSubscription)
            .where(col(WebhookSubscription.id) == delivery.subscription_id)
            .with_for_update()
        ).one()
        now = utcnow()
        delivery.response_code = code
        delivery.error = error
        retry_in: int | None = None
        if not error:
            delivery.status = DeliveryStatus.DELIVERED
            delivery.delivered_at = now
            delivery.next_attempt_at = None
            sub.consecutive_failures = 0
        else:
            waits = retry_waits()
            if active and delivery.attempts <= len(waits):
                retry_in = waits[delivery.attempts - 1]
                delivery.status = DeliveryStatus.RETRYING
                delivery.next_attempt_at = now + timedelta(seconds=retry_in)
            else:
                delivery.status = DeliveryStatus.FAILED
                delivery.next_attempt_at = None
                if active:
                    _count_failure(session, sub)
        session.add(delivery)
        session.add(sub)
        return Attempt(delivery_id, delivery.status, code, retry_in)


def _count_failure(session: Session, sub: WebhookSubscription) -> None:
    """A delivery failed for good; after N in a row the subscription is switched off."""
    sub.consecutive_failures += 1
    limit = get_settings().webhook_disable_after
    if sub.active and sub.consecutive_failures >= limit:
        sub.active = False
        sub.disabled_reason = f"{sub.consecutive_failures} deliveries failed in a row"
        audit.record(
            session,
            None,
            "webhooks.disabled",
            actor_name="system",
            target_type="webhook",
            target_id=sub.id,
            store_id=sub.store_id,
            changes={"failures": sub.consecutive_failures},
        )
