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
    lock_member_accounts(session, sale.member_id)
    if request_id:
        done = session.exec(select(SaleRefund).where(SaleRefund.request_id == request_id)).first()
        if done is not None:
            return done
    left = sale.due_cents - sale.refunded_cents
    if amount_cents <= 0:
        raise ValidationFailed({"amount_cents": "error.refund_positive"})
    if amount_cents > left:
        raise ValidationFailed({"amount_cents": "error.refund_amount"})
    if not reason.strip():
        raise ValidationFailed({"reason": "error.reason_required"})
    final = amount_cents == left
    so_far = _refunded_so_far(session, sale_id)

    def share(total: int, key: str) -> int:
        return total - so_far[key] if final else total * amount_cents // sale.due_cents

    points_back = share(sale.points_used, "points_used")
    principal_back = share(sale.wallet_principal_cents, "wallet_principal")
    bonus_back = share(sale.wallet_bonus_cents, "wallet_bonus")
    earned_back = share(sale.points_earned, "points_earned")
    points_cash_back = (
        sale.points_cash_cents * points_back // sale.points_used if sale.points_used else 0
    )
    cash_back = max(0, amount_cents - points_cash_back - principal_back - bonus_back)
    cause: dict[str, Any] = {
        "cause_type": "refund",
        "cause_id": sale_id,
        "store_id": sale.store_id,
        "actor_id": actor.staff_id,
    }
    if points_back:
        points.credit(session, sale.member_id, points_back, PointsKind.REFUND, **cause)
    if principal_back or bonus_back:
        wallet.give_back(session, sale.member_id, principal_back, bonus_back, **cause)
    reversed_points = min(earned_back, points.balance_of(session, sale.member_id))
    if reversed_points:
        points.debit(session, sale.member_id, reversed_points, PointsKind.REFUND, **cause)
    coupon_back = bool(final and sale.coupon_id and coupons.restore_coupon(session, sale.coupon_id))
    refund = SaleRefund(
        sale_id=sale_id,
        amount_cents=amount_cents,
        points_restored=points_back,
        points_reversed=reversed_points,
        points_shortfall=earned_back - reversed_points,
        wallet_principal_restored=principal_back,
        wallet_bonus_restored=bonus_back,
        cash_returned_cents=cash_back,
        coupon_restored=coupon_back,
        reason=reason.strip()[:300],
        request_id=request_id,
        actor_id=actor.staff_id,
    )
    session.add(refund)
    sale.refunded_cents += amount_cents
    sale.status = SaleStatus.REFUNDED if final else SaleStatus.PARTIALLY_REFUNDED
    session.add(sale)
    session.flush()
    daily_stats.sale_refunded(session, sale, refund)
    audit.record(
        session,
        actor,
        "sales.refund",
        target_type="member",
        target_id=sale.member_id,
        store_id=sale.store_id,
        changes={
            "sale": sale_id,
            "amount": amount_cents,
            "reason": reason.strip(),
            "points_restored": points_back,
            "points_reversed": reversed_points,
            "wallet_restored": principal_back + bonus_back,
            "cash": cash_back,
            "coupon_restored": coupon_back,
        },
    )
    events.emit(
        session,
        "sale.refunded",
        member_id=sale.member_id,
        store_id=sale.store_id,
        payload={"sale_id": sale_id, "amount_cents": amount_cents},
    )
    return refund
