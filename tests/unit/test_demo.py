"""The demo data a new user first sees: sales rung up by each store's staff, a portal
member with a history."""

from __future__ import annotations

from sqlmodel import Session, func, select

from backoffice.demo import DEMO_MEMBER_NO, seed_demo
from backoffice.models import Coupon, Member, Sale, Staff
from backoffice.services.loyalty.member_summary import member_loyalty


def test_demo_sales_are_spread_over_the_staff_of_each_store(session: Session):
    seed_demo(session, members=12)
    rows = session.exec(
        select(Sale.store_id, Staff.username, func.count())
        .join(Staff, Staff.id == Sale.staff_id)
        .group_by(Sale.store_id, Staff.username)
    ).all()
    by_store: dict[int, set[str]] = {}
    for store_id, username, _n in rows:
        by_store.setdefault(store_id, set()).add(username)
    assert len(by_store) == 3
    assert all(len(names) >= 2 for names in by_store.values()), by_store
    assert "admin" not in {u for names in by_store.values() for u in names}


def test_the_portal_demo_member_has_sales_points_a_coupon_and_a_wallet(session: Session):
    admin = seed_demo(session, members=4)
    member = session.exec(select(Member).where(Member.member_no == DEMO_MEMBER_NO)).one()
    sales = session.exec(select(func.count()).where(Sale.member_id == member.id)).one()
    coupons = session.exec(select(func.count()).where(Coupon.member_id == member.id)).one()
    summary = member_loyalty(session, admin, member.id or 0)
    assert sales >= 2 and coupons >= 1
    assert summary.points_balance > 0 and summary.wallet_principal > 0
