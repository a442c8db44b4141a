"""Refunds (退款) of a sale: each part (points spent, stored value, cash) given back in
proportion, the points earned taken back, in one transaction."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, func, select

from backoffice.errors import NotFound, ValidationFailed
from backoffice.models import PointsKind, Sale, SaleRefund, SaleStatus
from backoffice.services import events
from backoffice.services.loyalty import coupons, points, wallet
from backoffice.services.loyalty.accounts import lock_member_accounts
from backoffice.services.org import audit
from backoffice.services.org.access import Actor, require
from backoffice.services.reports import daily_stats


def _refunded_so_far(session: Session, sale_id: int) -> dict[str, int]:
    row = session.exec(
        select(
            func.coalesce(func.sum(SaleRefund.points_restored), 0),
            func.coalesce(func.sum(SaleRefund.points_reversed + SaleRefund.points_shortfall), 0),
            func.coalesce(func.sum(SaleRefund.wallet_principal_restored), 0),
            func.coalesce(func.sum(SaleRefund.wallet_bonus_restored), 0),
        ).where(SaleRefund.sale_id == sale_id)
    ).one()
    return {
        "points_used": int(row[0]),
        "points_earned": int(row[1]),
        "wallet_principal": int(row[2]),
        "wallet_bonus": int(row[3]),
    }


def locked_sale(session: Session, actor: Actor, sale_id: int) -> Sale:
    """The sale to refund, locked, if the actor may refund it (permission and store scope)."""
    # Re-read under the lock even when this session already holds the sale: a copy loaded
    # before another till's refund committed would let this one give back too much.
    sale = session.exec(
        select(Sale)
        .where(Sale.id == sale_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    # Another store's sale answers exactly like a sale that does not exist (no oracle).
    require(actor, "sales.refund")
    if sale is None or not actor.in_scope(sale.store_id):
        raise NotFound("error.not_found")
    return sale


def _check(sale: Sale, amount_cents: int, reason: str) -> None:
    left = sale.due_cents - sale.refunded_cents
    if amount_cents <= 0:
        raise ValidationFailed({"amount_cents": "error.refund_positive"})
    if amount_cents > left:
        raise ValidationFailed({"amount_cents": "error.refund_amount"})
    if not reason.strip():
        raise ValidationFailed({"reason": "error.reason_required"})


def _parts(session: Session, sale: Sale, amount_cents: int) -> dict[str, int]:
    """What this refund gives back of each part: its share, or all that is left if final."""
    final = amount_cents == sale.due_cents - sale.refunded_cents
    so_far = _refunded_so_far(session, sale.id or 0)

    def share(total: int, key: str) -> int:
        return total - so_far[key] if final else total * amount_cents // sale.due_cents

    parts = {
        "final": int(final),
        "points_back": share(sale.points_used, "points_used"),
        "principal_back": share(sale.wallet_principal_cents, "wallet_principal"),
        "bonus_back": share(sale.wallet_bonus_cents, "wallet_bonus"),
        "earned_back": share(sale.points_earned, "points_earned"),
    }
    points_cash_back = (
        sale.points_cash_cents * parts["points_back"] // sale.points_used if sale.points_used else 0
    )
    parts["cash_back"] = max(
        0, amount_cents - points_cash_back - parts["principal_back"] - parts["bonus_back"]
    )
    return parts


def _give_back(session: Session, actor: Actor, sale: Sale, parts: dict[str, int]) -> dict[str, int]:
    """The ledger entries; returns the points actually taken back and whether the coupon was."""
    cause: dict[str, Any] = {
        "cause_type": "refund",
        "cause_id": sale.id,
        "store_id": sale.store_id,
        "actor_id": actor.staff_id,
    }
    if parts["points_back"]:
        points.credit(session, sale.member_id, parts["points_back"], PointsKind.REFUND, **cause)
    if parts["principal_back"] or parts["bonus_back"]:
        wallet.give_back(
            session, sale.member_id, parts["principal_back"], parts["bonus_back"], **cause
        )
    reversed_points = min(parts["earned_back"], points.balance_of(session, sale.member_id))
    if reversed_points:
        points.debit(session, sale.member_id, reversed_points, PointsKind.REFUND, **cause)
    coupon_back = bool(
        parts["final"] and sale.coupon_id and coupons.restore_coupon(session, sale.coupon_id)
    )
    return {"reversed": reversed_points, "coupon_back": int(coupon_back)}


def refund_sale(
    session: Session,
    actor: Actor,
    sale_id: int,
    amount_cents: int,
    reason: str,
    request_id: str | None = None,
) -> SaleRefund:
    """Give back `amount_cents` of what the sale charged: points spent, stored value and cash in
    proportion, and take back the same share of points earned (never below zero). The last
    refund of a sale returns whatever is left, so a full refund restores exactly."""
    sale = locked_sale(session, actor, sale_id)
    lock_member_accounts(session, sale.member_id)
    if request_id:
        done = session.exec(select(SaleRefund).where(SaleRefund.request_id == request_id)).first()
        if done is not None:
            return done
    _check(sale, amount_cents, reason)
    parts = _parts(session, sale, amount_cents)
    given = _give_back(session, actor, sale, parts)
    refund = SaleRefund(
        sale_id=sale_id,
        amount_cents=amount_cents,
        points_restored=parts["points_back"],
        points_reversed=given["reversed"],
        points_shortfall=parts["earned_back"] - given["reversed"],
        wallet_principal_restored=parts["principal_back"],
        wallet_bonus_restored=parts["bonus_back"],
        cash_returned_cents=parts["cash_back"],
        coupon_restored=bool(given["coupon_back"]),
        reason=reason.strip()[:300],
        request_id=request_id,
        actor_id=actor.staff_id,
    )
    session.add(refund)
    sale.refunded_cents += amount_cents
    sale.status = SaleStatus.REFUNDED if parts["final"] else SaleStatus.PARTIALLY_REFUNDED
    session.add(sale)
    session.flush()
    daily_stats.sale_refunded(session, sale, refund)
    _record(session, actor, sale, refund, reason.strip())
    return refund


def _record(session: Session, actor: Actor, sale: Sale, refund: SaleRefund, reason: str) -> None:
    """The audit entry (on the member's timeline) and the `sale.refunded` event."""
    audit.record(
        session,
        actor,
        "sales.refund",
        target_type="member",
        target_id=sale.member_id,
        store_id=sale.store_id,
        changes={
            "sale": refund.sale_id,
            "amount": refund.amount_cents,
            "reason": reason,
            "points_restored": refund.points_restored,
            "points_reversed": refund.points_reversed,
            "wallet_restored": refund.wallet_principal_restored + refund.wallet_bonus_restored,
            "cash": refund.cash_returned_cents,
            "coupon_restored": refund.coupon_restored,
        },
    )
    events.emit(
        session,
        "sale.refunded",
        member_id=sale.member_id,
        store_id=sale.store_id,
        payload={"sale_id": refund.sale_id, "amount_cents": refund.amount_cents},
    )
