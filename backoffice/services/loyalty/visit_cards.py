"""Visit cards (次卡 / 计次卡): selling a card (products: card_products.py), redeeming one visit at the till,
refunding what is left (退卡) and nightly expiry.

Each change is a ledger entry (VisitCardEntry) plus one conditional UPDATE of the card, so
remaining visits never go below zero, also when two tills redeem the last visit at once. A
client request id makes a sale or a redemption idempotent. A card may be used at any store
its product lists (all stores when none), by the member who holds it.
"""

from __future__ import annotations

import secrets
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from backoffice.errors import NotFound, ValidationFailed
from backoffice.models import (
    CardEntryKind,
    CardProduct,
    CardStatus,
    Member,
    VisitCard,
    VisitCardEntry,
)
from backoffice.models.base import as_utc, utcnow
from backoffice.services import events
from backoffice.services.loyalty import wallet
from backoffice.services.loyalty.accounts import lock_member_accounts
from backoffice.services.loyalty.policy import current_settings
from backoffice.services.members.counter import member_for_counter
from backoffice.services.org import audit
from backoffice.services.org.access import Actor, require
from backoffice.settings import get_settings

PAY_METHODS = ("cash", "card", "stored_value")
REFUND_TO = ("cash", "stored_value")


def valid_until(sold: datetime, days: int) -> datetime:
    """The end of the `days`-th day after the sale, in the chain's zone: a card sold on
    7 December for 30 days is valid all of 6 January."""
    zone = ZoneInfo(get_settings().default_timezone)
    last_day = as_utc(sold).astimezone(zone).date() + timedelta(days=days - 1)
    return datetime.combine(last_day + timedelta(days=1), time(0), zone) - timedelta(microseconds=1)


def _entry_for_request(session: Session, request_id: str | None) -> VisitCardEntry | None:
    if not request_id:
        return None
    return session.exec(
        select(VisitCardEntry).where(VisitCardEntry.request_id == request_id)
    ).first()


def _card_for_request(session: Session, request_id: str | None) -> VisitCard | None:
    if not request_id:
        return None
    return session.exec(select(VisitCard).where(VisitCard.request_id == request_id)).first()


def sell_visit_card(
    session: Session,
    actor: Actor,
    store_id: int,
    product_id: int,
    *,
    member_id: int | None = None,
    member_ref: str = "",
    pay_method: str = "cash",
    request_id: str | None = None,
) -> VisitCard:
    """Sell a card to the member at the counter, paid in cash, by card or stored value."""
    require(actor, "sales.create", store_id)
    if (done := _card_for_request(session, request_id)) is not None:
        return done
    member = member_for_counter(session, actor, member_id, member_ref)
    product = session.get(CardProduct, product_id)
    if product is None or not product.active:
        raise NotFound("error.not_found", field="product_id")
    if product.store_ids and store_id not in product.store_ids:
        raise ValidationFailed({"product_id": "error.card_store"})
    if pay_method not in PAY_METHODS:
        raise ValidationFailed({"pay_method": "error.choice"})
    now = utcnow()
    card = VisitCard(
        card_no="VC" + secrets.token_hex(5).upper(),
        member_id=member.id or 0,
        product_id=product_id,
        store_id=store_id,
        name=product.name,
        services=list(product.services),
        store_ids=list(product.store_ids),
        visits_total=product.visits,
        visits_left=product.visits,
        price_cents=product.price_cents,
        pay_method=pay_method,
        sold_at=now,
        expires_at=valid_until(now, product.valid_days),
        request_id=request_id,
    )
    try:
        with session.begin_nested():  # the unique request id stops a twin before payment
            session.add(card)
            session.flush()
    except IntegrityError:
        twin = _card_for_request(session, request_id)
        if twin is None:
            raise
        return twin
    session.add(
        VisitCardEntry(
            card_id=card.id or 0,
            member_id=card.member_id,
            kind=CardEntryKind.SOLD,
            visits_delta=product.visits or 0,
            visits_left=product.visits,
            store_id=store_id,
            amount_cents=product.price_cents,
            actor_id=actor.staff_id,
        )
    )
    if pay_method == "stored_value":
        lock_member_accounts(session, card.member_id)
        wallet.pay(
            session,
            card.member_id,
            product.price_cents,
            store_id=store_id,
            cause_type="visit_card",
            cause_id=card.id,
            request_id=None,
            actor_id=actor.staff_id,
        )
    audit.record(
        session,
        actor,
        "visit_card.sell",
        target_type="member",
        target_id=card.member_id,
        store_id=store_id,
        changes={"card": card.card_no, "product": product.name, "price": product.price_cents},
    )
    events.emit(
        session,
        "card.sold",
        member_id=card.member_id,
        store_id=store_id,
        payload={"card_id": card.id, "product": product.name, "price": product.price_cents},
    )
    return card


def _held_card(session: Session, card_id: int, member: Member) -> VisitCard:
    """The card, if this member holds it: one answer for a card that does not exist and a
    card of someone else, so card ids cannot be probed."""
    card = session.get(VisitCard, card_id)
    if card is None or card.member_id != member.id:
        raise NotFound("error.card_not_found", field="card_id")
    return card


def _refusal(card: VisitCard, store_id: int, now: datetime) -> str | None:
    """Why this card cannot be used here and now, as a catalog key (None: it can)."""
    if card.status == CardStatus.REFUNDED:
        return "error.card_refunded"
    if card.status == CardStatus.USED_UP or card.visits_left == 0:
        return "error.card_used_up"
    if card.status == CardStatus.EXPIRED or as_utc(card.expires_at) <= now:
        return "error.card_expired"
    if card.store_ids and store_id not in card.store_ids:
        return "error.card_store"
    return None


def redeem_visit(
    session: Session,
    actor: Actor,
    store_id: int,
    card_id: int,
    *,
    member_id: int | None = None,
    member_ref: str = "",
    service: str = "",
    request_id: str | None = None,
) -> VisitCardEntry:
    """核销 1 次: one visit off the member's card, with the clerk and the store recorded."""
    require(actor, "sales.create", store_id)
    if (done := _entry_for_request(session, request_id)) is not None:
        return done
    member = member_for_counter(session, actor, member_id, member_ref)
    card = _held_card(session, card_id, member)
    now = utcnow()
    if reason := _refusal(card, store_id, now):
        raise ValidationFailed({"card_id": reason})
    service = service.strip() or (card.services[0] if len(card.services) == 1 else "")
    if card.services and service not in card.services:
        raise ValidationFailed({"service": "error.card_service"})
    left = _take_one_visit(session, card, now)
    entry = VisitCardEntry(
        card_id=card_id,
        member_id=card.member_id,
        kind=CardEntryKind.REDEEMED,
        visits_delta=-1 if card.visits_total is not None else 0,
        visits_left=left,
        service=service,
        store_id=store_id,
        actor_id=actor.staff_id,
        request_id=request_id,
    )
    session.add(entry)
    session.flush()
    audit.record(
        session,
        actor,
        "visit_card.redeem",
        target_type="member",
        target_id=card.member_id,
        store_id=store_id,
        changes={"card": card.card_no, "service": service, "left": left},
    )
    payload = {"card_id": card_id, "card": card.name, "left": left, "service": service}
    events.emit(
        session, "card.redeemed", member_id=card.member_id, store_id=store_id, payload=payload
    )
    if left is not None and left <= current_settings(session).card_low_visits:
        events.emit(
            session,
            "card.low_remaining",
            member_id=card.member_id,
            store_id=store_id,
            payload=payload,
        )
    return entry


def _take_one_visit(session: Session, card: VisitCard, now: datetime) -> int | None:
    """One conditional UPDATE: only an active, unexpired card with a visit left changes.
    Returns the visits left after it (None for an unlimited card)."""
    counted = card.visits_total is not None
    stmt = (
        update(VisitCard)
        .where(
            col(VisitCard.id) == card.id,
            col(VisitCard.status) == CardStatus.ACTIVE,
            col(VisitCard.expires_at) > now,
        )
        .values(visits_used=VisitCard.visits_used + 1)
        .returning(col(VisitCard.visits_left))
    )
    if counted:
        stmt = stmt.where(col(VisitCard.visits_left) > 0).values(
            visits_left=col(VisitCard.visits_left) - 1
        )
    row = session.execute(stmt).first()
    if row is None:  # a twin till took the last visit between our read and this update
        raise ValidationFailed({"card_id": "error.card_used_up"})
    left = row[0]
    if counted and left == 0:
        session.execute(
            update(VisitCard).where(col(VisitCard.id) == card.id).values(status=CardStatus.USED_UP)
        )
    session.expire(card)
    return None if left is None else int(left)


def refund_value(card: VisitCard, now: datetime | None, fee_bp: int) -> int:
    """What a refunded card pays back (now, unless `now` says when): the unused share of its
    price (visits left of the total, or time left of the validity for an unlimited card),
    less the fee."""
    now = now or utcnow()
    if card.visits_total:
        unused = card.price_cents * (card.visits_left or 0) // card.visits_total
    else:
        total = (as_utc(card.expires_at) - as_utc(card.sold_at)).total_seconds()
        left = max(0.0, (as_utc(card.expires_at) - now).total_seconds())
        unused = int(card.price_cents * left // total) if total > 0 else 0
    return unused - unused * fee_bp // 10_000


def refund_visit_card(
    session: Session,
    actor: Actor,
    store_id: int,
    card_id: int,
    *,
    member_id: int | None = None,
    member_ref: str = "",
    refund_to: str = "cash",
) -> VisitCardEntry:
    """退卡: the unused value back in cash or to stored value; the card is closed."""
    require(actor, "sales.refund", store_id)
    if refund_to not in REFUND_TO:
        raise ValidationFailed({"refund_to": "error.choice"})
    member = member_for_counter(session, actor, member_id, member_ref)
    card = _held_card(session, card_id, member)
    now = utcnow()
    reason = _refusal(card, store_id, now)
    if reason and reason != "error.card_store":  # a card is refunded at any store in scope
        raise ValidationFailed({"card_id": reason})
    amount = refund_value(card, now, current_settings(session).card_refund_fee_bp)
    left = card.visits_left or 0  # before the update below refreshes the card
    closed = session.execute(
        update(VisitCard)
        .where(col(VisitCard.id) == card_id, col(VisitCard.status) == CardStatus.ACTIVE)
        .values(status=CardStatus.REFUNDED, visits_left=0 if card.visits_total else None)
    )
    if closed.rowcount != 1:  # type: ignore[attr-defined]
        raise ValidationFailed({"card_id": "error.card_refunded"})
    entry = VisitCardEntry(
        card_id=card_id,
        member_id=card.member_id,
        kind=CardEntryKind.REFUNDED,
        visits_delta=-left,
        visits_left=0 if card.visits_total else None,
        store_id=store_id,
        amount_cents=amount,
        actor_id=actor.staff_id,
    )
    session.add(entry)
    session.flush()
    if refund_to == "stored_value" and amount > 0:
        lock_member_accounts(session, card.member_id)
        wallet.give_back(
            session,
            card.member_id,
            amount,
            0,
            store_id=store_id,
            cause_type="visit_card",
            cause_id=card_id,
            actor_id=actor.staff_id,
        )
    audit.record(
        session,
        actor,
        "visit_card.refund",
        target_type="member",
        target_id=card.member_id,
        store_id=store_id,
        changes={"card": card.card_no, "amount": amount, "refund_to": refund_to},
    )
    session.expire(card)
    return entry
