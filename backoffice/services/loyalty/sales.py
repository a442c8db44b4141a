"""Sales (消费记录): the reception checkout and refunds.

`quote_sale` computes everything a checkout applies (tier discount, coupon, points as
cash, stored value, cash/card, points earned) without writing; `record_sale` writes the
same numbers in one transaction; `refund_sale` (refunds.py, importable from here) gives
back each part in proportion.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from backoffice.errors import ValidationFailed
from backoffice.models import (
    Coupon,
    CouponTemplate,
    Member,
    PointsKind,
    Sale,
    Store,
)
from backoffice.services import events
from backoffice.services.loyalty import coupons, points, tiers, wallet
from backoffice.services.loyalty.accounts import lock_member_accounts
from backoffice.services.loyalty.earn_rules import points_for_sale
from backoffice.services.loyalty.policy import current_settings
from backoffice.services.loyalty.refunds import refund_sale
from backoffice.services.members.counter import member_for_counter
from backoffice.services.org import audit
from backoffice.services.org.access import Actor, member_in_scope, require
from backoffice.services.reports import daily_stats

__all__ = ["SaleInput", "SaleItem", "quote_sale", "record_sale", "refund_sale", "member_sales"]

MAX_SALE_CENTS = 100_000_000  # ¥1,000,000
PAY_METHODS = ("cash", "card")


class SaleItem(BaseModel):
    name: str = ""
    category: str = ""
    qty: int = 1
    unit_cents: int = 0


class SaleInput(BaseModel):
    member_id: int | None = None
    member_ref: str = ""  # exact phone or member number: serves members of any store
    store_id: int = 0
    items: list[SaleItem] = Field(default_factory=list)
    amount_cents: int = 0  # a free amount when there are no item lines
    coupon_id: int | None = None
    points_to_use: int = 0
    wallet_cents: int = 0
    pay_method: str = "cash"
    request_id: str | None = None


@dataclass
class SaleQuote:
    member_id: int
    gross_cents: int
    tier_name: str
    tier_discount_cents: int
    coupon_discount_cents: int
    due_cents: int
    max_points: int
    points_used: int
    points_cash_cents: int
    wallet_principal_cents: int
    wallet_bonus_cents: int
    paid_cents: int
    points_earned: int
    points_balance: int
    wallet_balance: int


def _items(data: SaleInput) -> tuple[list[dict[str, Any]], int]:
    errors: dict[str, str] = {}
    items: list[dict[str, Any]] = []
    for index, item in enumerate(data.items):
        if not item.name.strip():
            errors[f"items.{index}.name"] = "error.required"
        if not 1 <= item.qty <= 10000:
            errors[f"items.{index}.qty"] = "error.positive"
        if not 0 <= item.unit_cents <= MAX_SALE_CENTS:
            errors[f"items.{index}.unit_cents"] = "error.amount_range"
        items.append(
            {
                "name": item.name.strip(),
                "category": item.category.strip(),
                "qty": item.qty,
                "unit_cents": item.unit_cents,
            }
        )
    gross = sum(i["qty"] * i["unit_cents"] for i in items) if items else data.amount_cents
    if not items and not 0 < data.amount_cents <= MAX_SALE_CENTS:
        errors["amount_cents"] = "error.amount_range"
    if items and not 0 < gross <= MAX_SALE_CENTS:
        errors["items"] = "error.amount_range"
    if errors:
        raise ValidationFailed(errors)
    return items, gross


def _quote(session: Session, member: Member, data: SaleInput) -> SaleQuote:
    items, gross = _items(data)
    if data.pay_method not in PAY_METHODS:
        raise ValidationFailed({"pay_method": "error.choice"})
    if data.points_to_use < 0:
        raise ValidationFailed({"points_to_use": "error.not_negative"})
    if data.wallet_cents < 0:
        raise ValidationFailed({"wallet_cents": "error.not_negative"})
    settings = current_settings(session)
    tier = tiers.tier_of(session, member)
    tier_discount = gross * tier.discount_bp // 10000 if tier else 0
    coupon_discount = 0
    if data.coupon_id:
        coupon = session.get(Coupon, data.coupon_id)
        template = session.get(CouponTemplate, coupon.template_id) if coupon else None
        if coupon is None or template is None:
            raise ValidationFailed({"coupon": "error.coupon_not_usable"})
        if not template.stackable:
            tier_discount = 0  # a non-stackable coupon replaces the tier discount
        coupon_discount = coupons.coupon_discount(
            template,
            coupon,
            member_id=member.id or 0,
            store_id=data.store_id,
            amount_cents=gross - tier_discount,
            items=items,
        )
    due = gross - tier_discount - coupon_discount
    points_balance = points.balance_of(session, member.id or 0)
    rate = settings.points_per_yuan_cash
    max_cash = due * settings.max_points_share_bp // 10000
    max_points = min(points_balance, max_cash * rate // 100)
    if data.points_to_use > points_balance:
        raise ValidationFailed({"points_to_use": "error.points_insufficient"})
    if data.points_to_use > max_points:
        raise ValidationFailed({"points_to_use": "error.points_over_share"})
    points_cash = data.points_to_use * 100 // rate
    points_used = -(-points_cash * rate // 100)  # only the points the cash value needs
    principal, bonus = wallet.balances(session, member.id or 0)
    if data.wallet_cents > principal + bonus:
        raise ValidationFailed({"wallet_cents": "error.wallet_insufficient"})
    if data.wallet_cents > due - points_cash:
        raise ValidationFailed({"wallet_cents": "error.wallet_over_due"})
    from_principal, from_bonus = (
        wallet.split_payment(session, member.id or 0, data.wallet_cents)
        if data.wallet_cents
        else (0, 0)
    )
    paid = due - points_cash - data.wallet_cents
    earn_base = paid + from_principal  # money the member actually paid for this sale
    earned = points_for_sale(
        session,
        store_id=data.store_id,
        paid_cents=earn_base,
        items=items,
        paid_share_bp=earn_base * 10000 // gross if gross else 0,
        multiplier_pct=tier.points_multiplier_pct if tier else 100,
    )
    return SaleQuote(
        member_id=member.id or 0,
        gross_cents=gross,
        tier_name=tier.name if tier else "",
        tier_discount_cents=tier_discount,
        coupon_discount_cents=coupon_discount,
        due_cents=due,
        max_points=max_points,
        points_used=points_used,
        points_cash_cents=points_cash,
        wallet_principal_cents=from_principal,
        wallet_bonus_cents=from_bonus,
        paid_cents=paid,
        points_earned=earned,
        points_balance=points_balance,
        wallet_balance=principal + bonus,
    )


def _check_store(session: Session, actor: Actor, store_id: int) -> Store:
    require(actor, "sales.create", store_id)
    store = session.get(Store, store_id)
    if store is None or not store.active:
        raise ValidationFailed({"store_id": "error.store_unknown"})
    return store


def quote_sale(session: Session, actor: Actor, data: SaleInput) -> SaleQuote:
    """What the checkout will apply, shown before the clerk confirms. Writes nothing."""
    _check_store(session, actor, data.store_id)
    member = member_for_counter(session, actor, data.member_id, data.member_ref)
    return _quote(session, member, data)


def record_sale(session: Session, actor: Actor, data: SaleInput) -> Sale:
    """Check out: one transaction writes the sale and every ledger it touches.

    The same request id twice returns the first sale and changes nothing again.
    """
    _check_store(session, actor, data.store_id)
    if data.request_id and (done := _sale_for_request(session, data.request_id)):
        return done
    member = member_for_counter(session, actor, data.member_id, data.member_ref)
    lock_member_accounts(session, member.id or 0)
    q = _quote(session, member, data)
    items, _gross = _items(data)
    sale = Sale(
        member_id=member.id or 0,
        store_id=data.store_id,
        staff_id=actor.staff_id,
        items=items,
        gross_cents=q.gross_cents,
        tier_discount_cents=q.tier_discount_cents,
        coupon_discount_cents=q.coupon_discount_cents,
        coupon_id=data.coupon_id if q.coupon_discount_cents or data.coupon_id else None,
        due_cents=q.due_cents,
        points_used=q.points_used,
        points_cash_cents=q.points_cash_cents,
        wallet_principal_cents=q.wallet_principal_cents,
        wallet_bonus_cents=q.wallet_bonus_cents,
        paid_cents=q.paid_cents,
        pay_method=data.pay_method,
        points_earned=q.points_earned,
        request_id=data.request_id,
    )
    try:
        with session.begin_nested():
            session.add(sale)
            session.flush()
    except IntegrityError:  # a concurrent twin with the same request id committed first
        done = _sale_for_request(session, data.request_id or "")
        if done is None:
            raise
        return done
    cause: dict[str, Any] = {
        "cause_type": "sale",
        "cause_id": sale.id,
        "store_id": data.store_id,
        "actor_id": actor.staff_id,
    }
    daily_stats.sale_recorded(session, sale)
    if sale.coupon_id:
        coupons.use_coupon(session, sale.coupon_id, sale.id or 0)
    if q.points_used:
        points.debit(
            session, member.id or 0, q.points_used, PointsKind.SPEND, field="points_to_use", **cause
        )
    if q.wallet_principal_cents + q.wallet_bonus_cents:
        wallet.pay(
            session,
            member.id or 0,
            q.wallet_principal_cents + q.wallet_bonus_cents,
            request_id=None,
            **cause,
        )
    if q.points_earned:
        points.credit(session, member.id or 0, q.points_earned, PointsKind.EARN, **cause)
    audit.record(
        session,
        actor,
        "sales.create",
        target_type="member",
        target_id=member.id,
        store_id=data.store_id,
        changes={
            "sale": sale.id,
            **{
                k: v
                for k, v in asdict(q).items()
                if k.endswith(("_cents", "_used", "_earned")) and v
            },
        },
    )
    events.emit(
        session,
        "sale.recorded",
        member_id=member.id,
        store_id=data.store_id,
        payload={"sale_id": sale.id, "due_cents": q.due_cents, "points_earned": q.points_earned},
    )
    tiers.evaluate_upgrade(session, member, actor)
    return sale


def _sale_for_request(session: Session, request_id: str) -> Sale | None:
    return session.exec(select(Sale).where(Sale.request_id == request_id)).first()


def member_sales(session: Session, actor: Actor, member_id: int, limit: int = 50) -> list[Sale]:
    """A member's sales, newest first, for staff who may see the member."""
    require(actor, "sales.read")
    member_in_scope(session, actor, member_id)
    return list(
        session.exec(
            select(Sale)
            .where(Sale.member_id == member_id)
            .order_by(col(Sale.id).desc())
            .limit(limit)
        ).all()
    )
