"""Visit cards over time: a member's cards and each card's ledger, the nightly expiry and
expiry notices, and the report (cards sold, visits redeemed, what the chain still owes).

The outstanding liability is the unused share of each active card's price: visits left of
the total, or days left of the validity for an unlimited card (the same rule a refund uses,
before its fee)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlmodel import Session, col, func, select

from backoffice.models import CardEntryKind, CardStatus, VisitCard, VisitCardEntry
from backoffice.models.base import as_utc, utcnow
from backoffice.services import events
from backoffice.services.loyalty.policy import current_settings
from backoffice.services.loyalty.visit_cards import refund_value
from backoffice.services.org.access import Actor, member_in_scope, require
from backoffice.settings import get_settings


def cards_of_member(session: Session, actor: Actor, member_id: int) -> list[VisitCard]:
    """The member's cards, active first then newest (the member page, the portal's staff
    view); a member outside the actor's scope is "not found"."""
    member_in_scope(session, actor, member_id)
    return member_own_cards(session, member_id)


def card_entries(session: Session, card: VisitCard) -> list[VisitCardEntry]:
    """A card's ledger, oldest first (callers have checked the card's member is in scope)."""
    return list(
        session.exec(
            select(VisitCardEntry)
            .where(VisitCardEntry.card_id == card.id)
            .order_by(col(VisitCardEntry.id))
        ).all()
    )


def expire_cards(session: Session, now: datetime | None = None) -> int:
    """Close every active card past its validity: an `expired` entry takes what was left.
    Run by the nightly job; returns how many cards expired."""
    now = now or utcnow()
    due = session.exec(
        select(VisitCard).where(
            col(VisitCard.status) == CardStatus.ACTIVE, col(VisitCard.expires_at) <= now
        )
    ).all()
    expired = 0
    for card in due:
        left = card.visits_left  # before the update below refreshes the card
        closed = session.execute(
            update(VisitCard)
            .where(col(VisitCard.id) == card.id, col(VisitCard.status) == CardStatus.ACTIVE)
            .values(status=CardStatus.EXPIRED, visits_left=0 if card.visits_total else None)
        )
        if closed.rowcount != 1:  # type: ignore[attr-defined]
            continue  # redeemed to the end or refunded meanwhile
        session.add(
            VisitCardEntry(
                card_id=card.id or 0,
                member_id=card.member_id,
                kind=CardEntryKind.EXPIRED,
                visits_delta=-(left or 0),
                visits_left=0 if card.visits_total else None,
                store_id=card.store_id,
            )
        )
        events.emit(
            session,
            "card.expired",
            member_id=card.member_id,
            store_id=card.store_id,
            payload={"card_id": card.id, "card": card.name, "left": left},
        )
        expired += 1
    session.flush()
    return expired


def notify_expiring_cards(session: Session, now: datetime | None = None) -> int:
    """`card.expiring` for each active card whose validity ends within N days (N from the
    loyalty settings), once per card: a re-run of the night, or a missed night, neither
    repeats nor skips a notice."""
    now = now or utcnow()
    days = current_settings(session).card_expiring_notice_days
    rows = session.exec(
        select(VisitCard).where(
            col(VisitCard.status) == CardStatus.ACTIVE,
            col(VisitCard.expiry_notified).is_(False),
            col(VisitCard.expires_at) <= now + timedelta(days=days),
        )
    ).all()
    zone = ZoneInfo(get_settings().default_timezone)
    for card in rows:
        card.expiry_notified = True
        session.add(card)
        events.emit(
            session,
            "card.expiring",
            member_id=card.member_id,
            store_id=card.store_id,
            payload={
                "card_id": card.id,
                "card": card.name,
                "left": card.visits_left,
                "expires_on": as_utc(card.expires_at).astimezone(zone).date().isoformat(),
            },
        )
    session.flush()
    return len(rows)


@dataclass
class StoreCardFigures:
    store_id: int
    sold: int = 0
    sold_cents: int = 0
    redeemed: int = 0
    active: int = 0
    liability_cents: int = 0


def card_report(session: Session, actor: Actor) -> list[StoreCardFigures]:
    """Per store in the actor's scope: cards sold and their takings, visits redeemed there,
    active cards sold there and the unused value the chain still owes on them."""
    require(actor, "reports.read")
    figures: dict[int, StoreCardFigures] = {}

    def of(store_id: int) -> StoreCardFigures:
        return figures.setdefault(store_id, StoreCardFigures(store_id))

    for store_id, count, cents in session.exec(
        select(VisitCard.store_id, func.count(), func.sum(VisitCard.price_cents)).group_by(
            col(VisitCard.store_id)
        )
    ).all():
        if actor.in_scope(store_id):
            of(store_id).sold, of(store_id).sold_cents = int(count), int(cents or 0)
    for redeemed_at, count in session.exec(
        select(VisitCardEntry.store_id, func.count())
        .where(col(VisitCardEntry.kind) == CardEntryKind.REDEEMED)
        .group_by(col(VisitCardEntry.store_id))
    ).all():
        if redeemed_at is not None and actor.in_scope(redeemed_at):
            of(redeemed_at).redeemed = int(count)
    now = utcnow()
    for card in session.exec(
        select(VisitCard).where(col(VisitCard.status) == CardStatus.ACTIVE)
    ).all():
        if actor.in_scope(card.store_id):
            of(card.store_id).active += 1
            of(card.store_id).liability_cents += refund_value(card, now, fee_bp=0)
    return sorted(figures.values(), key=lambda f: f.store_id)


def member_own_cards(session: Session, member_id: int) -> list[VisitCard]:
    """The member's own cards for the member portal (the caller is that member's session),
    active first then newest."""
    rows = session.exec(select(VisitCard).where(VisitCard.member_id == member_id)).all()
    return sorted(rows, key=lambda c: (c.status != CardStatus.ACTIVE, -(c.id or 0)))
