"""Everything loyalty about one member, for the member page: tier and progress, points and
stored value with their ledgers, coupons and sales, for staff who may see the member."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from backoffice.models import Coupon, CouponTemplate, PointsEntry, Sale, WalletEntry
from backoffice.services.loyalty import coupons, points, tiers, wallet
from backoffice.services.loyalty.sales import member_sales
from backoffice.services.org.access import Actor, member_in_scope, require


@dataclass
class MemberLoyalty:
    progress: tiers.TierProgress
    points_balance: int
    wallet_principal: int
    wallet_bonus: int
    points_rows: list[PointsEntry]
    wallet_rows: list[WalletEntry]
    coupons: list[tuple[Coupon, CouponTemplate]]
    sales: list[Sale]


def member_loyalty(session: Session, actor: Actor, member_id: int) -> MemberLoyalty:
    require(actor, "sales.read")
    member = member_in_scope(session, actor, member_id)
    principal, bonus = wallet.balances(session, member_id)
    return MemberLoyalty(
        progress=tiers.tier_progress(session, member),
        points_balance=points.balance_of(session, member_id),
        wallet_principal=principal,
        wallet_bonus=bonus,
        points_rows=points.points_ledger(session, actor, member_id, page_size=30).rows,
        wallet_rows=wallet.wallet_ledger(session, member_id, page_size=30).rows,
        coupons=coupons.member_coupons(session, member_id)[:50],
        sales=member_sales(session, actor, member_id, limit=30),
    )
