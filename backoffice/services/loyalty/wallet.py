"""Stored value (储值): top-ups with bonus rules, payments, refunds; principal and bonus apart.

Each change is a ledger entry plus one conditional update of the account, so concurrent
payments never overdraw it. A client request id makes a top-up or payment idempotent.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from backoffice.errors import ValidationFailed
from backoffice.models import TopupRule, WalletAccount, WalletEntry, WalletKind
from backoffice.services import events
from backoffice.services.loyalty.accounts import lock_member_accounts
from backoffice.services.loyalty.policy import current_settings
from backoffice.services.members.counter import member_for_counter
from backoffice.services.org import audit
from backoffice.services.org.access import Actor, require
from backoffice.services.reports import daily_stats

MAX_TOPUP_CENTS = 10_000_000  # ¥100,000 in one top-up


def balances(session: Session, member_id: int) -> tuple[int, int]:
    """(principal, bonus) in cents."""
    row = session.exec(
        select(WalletAccount.principal, WalletAccount.bonus).where(
            WalletAccount.member_id == member_id
        )
    ).first()
    return (int(row[0]), int(row[1])) if row else (0, 0)


def totals_of(session: Session, member_ids: list[int]) -> dict[int, int]:
    """Each member's stored value, principal plus bonus, in cents."""
    found: dict[int, int] = {}
    for start in range(0, len(member_ids), 900):
        for member_id, principal, bonus in session.exec(
            select(WalletAccount.member_id, WalletAccount.principal, WalletAccount.bonus).where(
                col(WalletAccount.member_id).in_(member_ids[start : start + 900])
            )
        ).all():
            found[int(member_id)] = int(principal) + int(bonus)
    return found


def entry_for_request(session: Session, request_id: str | None) -> WalletEntry | None:
    if not request_id:
        return None
    return session.exec(select(WalletEntry).where(WalletEntry.request_id == request_id)).first()


def bonus_for(session: Session, amount_cents: int) -> int:
    """The best active top-up rule the amount reaches (e.g. ¥1000 → ¥200 bonus)."""
    bonus = session.exec(
        select(func.max(TopupRule.bonus_cents)).where(
            col(TopupRule.active).is_(True), TopupRule.min_cents <= amount_cents
        )
    ).one()  # noqa: E712
    return int(bonus or 0)


class DuplicateRequest(Exception):
    """The request id was already used: the first result stands."""


def _write(
    session: Session,
    member_id: int,
    kind: WalletKind,
    principal: int,
    bonus: int,
    *,
    store_id: int | None,
    cause_type: str,
    cause_id: object,
    request_id: str | None,
    actor_id: int | None,
    note: str = "",
) -> WalletEntry:
    """Append the ledger entry, then apply the deltas with one conditional update.

    With a request id the entry goes in first, under a savepoint, so a second request
    with the same id stops at the unique index before it can touch the balance.
    """
    entry = WalletEntry(
        member_id=member_id,
        store_id=store_id,
        kind=kind,
        principal_delta=principal,
        bonus_delta=bonus,
        cause_type=cause_type,
        cause_id=str(cause_id),
        request_id=request_id,
        actor_id=actor_id,
        note=note[:300],
    )
    if request_id:
        try:
            with session.begin_nested():
                session.add(entry)
                session.flush()
        except IntegrityError as exc:
            raise DuplicateRequest(request_id) from exc
    after = _change_balances(session, member_id, principal, bonus)
    if after is None:
        raise ValidationFailed({"wallet": "error.wallet_insufficient"})
    entry.principal_after, entry.bonus_after = after
    session.add(entry)
    session.flush()
    daily_stats.wallet_entry(session, entry)
    return entry


def _change_balances(
    session: Session, member_id: int, principal: int, bonus: int
) -> tuple[int, int] | None:
    """One conditional UPDATE … RETURNING; None when either part would go negative."""
    stmt = (
        update(WalletAccount)
        .where(
            col(WalletAccount.member_id) == member_id,
            col(WalletAccount.principal) + principal >= 0,
            col(WalletAccount.bonus) + bonus >= 0,
        )
        .values(principal=WalletAccount.principal + principal, bonus=WalletAccount.bonus + bonus)
        .returning(col(WalletAccount.principal), col(WalletAccount.bonus))
    )
    row = session.execute(stmt).first()
    if row is not None:
        return int(row[0]), int(row[1])
    if session.get(WalletAccount, member_id) is not None:
        return None
    session.add(WalletAccount(member_id=member_id))  # first stored value ever
    session.flush()
    return _change_balances(session, member_id, principal, bonus)


def split_payment(session: Session, member_id: int, amount_cents: int) -> tuple[int, int]:
    """How a payment divides into (principal, bonus) under the spend-order setting."""
    principal, bonus = balances(session, member_id)
    if principal + bonus < amount_cents:
        raise ValidationFailed({"wallet": "error.wallet_insufficient"})
    if current_settings(session).bonus_spent_first:
        from_bonus = min(bonus, amount_cents)
        return amount_cents - from_bonus, from_bonus
    from_principal = min(principal, amount_cents)
    return from_principal, amount_cents - from_principal


def top_up(
    session: Session,
    actor: Actor,
    store_id: int,
    amount_cents: int,
    *,
    member_id: int | None = None,
    member_ref: str = "",
    request_id: str | None = None,
    pay_method: str = "cash",
) -> WalletEntry:
    """A member pays money in; the best top-up rule adds bonus. Same request id → same entry."""
    require(actor, "wallet.topup", store_id)
    if (done := entry_for_request(session, request_id)) is not None:
        return done
    member_id = member_for_counter(session, actor, member_id, member_ref).id or 0
    lock_member_accounts(session, member_id)
    if pay_method not in ("cash", "card"):
        raise ValidationFailed({"pay_method": "error.choice"})
    if not 0 < amount_cents <= MAX_TOPUP_CENTS:
        raise ValidationFailed({"amount_cents": "error.amount_range"})
    bonus = bonus_for(session, amount_cents)
    try:
        entry = _write(
            session,
            member_id,
            WalletKind.TOPUP,
            amount_cents,
            bonus,
            store_id=store_id,
            cause_type="topup",
            cause_id=pay_method,
            request_id=request_id,
            actor_id=actor.staff_id,
        )
    except DuplicateRequest:  # a concurrent twin committed first: answer with its result
        twin = entry_for_request(session, request_id)
        if twin is None:
            raise
        return twin
    audit.record(
        session,
        actor,
        "wallet.topup",
        target_type="member",
        target_id=member_id,
        store_id=store_id,
        changes={"amount": amount_cents, "bonus": bonus, "pay_method": pay_method},
    )
    events.emit(
        session,
        "wallet.topped_up",
        member_id=member_id,
        store_id=store_id,
        payload={"amount": amount_cents, "bonus": bonus},
    )
    return entry


def pay(
    session: Session,
    member_id: int,
    amount_cents: int,
    *,
    store_id: int,
    cause_type: str,
    cause_id: object,
    request_id: str | None,
    actor_id: int | None,
) -> WalletEntry:
    """Take a payment (used by the checkout inside its transaction)."""
    from_principal, from_bonus = split_payment(session, member_id, amount_cents)
    entry = _write(
        session,
        member_id,
        WalletKind.PAY,
        -from_principal,
        -from_bonus,
        store_id=store_id,
        cause_type=cause_type,
        cause_id=cause_id,
        request_id=request_id,
        actor_id=actor_id,
    )
    if entry.principal_after + entry.bonus_after < current_settings(session).low_balance_cents:
        events.emit(
            session,
            "wallet.low_balance",
            member_id=member_id,
            store_id=store_id,
            payload={"balance": entry.principal_after + entry.bonus_after},
        )
    return entry


def give_back(
    session: Session,
    member_id: int,
    principal: int,
    bonus: int,
    *,
    store_id: int,
    cause_type: str,
    cause_id: object,
    actor_id: int | None,
) -> WalletEntry:
    """Return money to the wallet (a refund of a sale it paid for)."""
    return _write(
        session,
        member_id,
        WalletKind.REFUND,
        principal,
        bonus,
        store_id=store_id,
        cause_type=cause_type,
        cause_id=cause_id,
        request_id=None,
        actor_id=actor_id,
    )


@dataclass
class WalletLedger:
    rows: list[WalletEntry]
    total: int


def wallet_ledger(
    session: Session, member_id: int, page: int = 1, page_size: int = 20
) -> WalletLedger:
    """Ledger rows, newest first (callers check scope first)."""
    stmt = select(WalletEntry).where(WalletEntry.member_id == member_id)
    total = session.exec(select(func.count()).select_from(stmt.subquery())).one()
    rows = session.exec(
        stmt.order_by(col(WalletEntry.id).desc())
        .offset((max(1, page) - 1) * page_size)
        .limit(page_size)
    ).all()
    return WalletLedger(rows=list(rows), total=int(total))


@dataclass
class Liability:
    principal: int
    bonus: int
    members: int


def wallet_liability(session: Session, actor: Actor) -> Liability:
    """What the chain owes its members in stored value, split into paid-in and bonus."""
    require(actor, "loyalty.read") if not actor.can("loyalty.manage") else None
    principal, bonus, members = session.exec(
        select(
            func.coalesce(func.sum(WalletAccount.principal), 0),
            func.coalesce(func.sum(WalletAccount.bonus), 0),
            func.count(),
        )
    ).one()
    return Liability(int(principal), int(bonus), int(members))
