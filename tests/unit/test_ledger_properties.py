"""Property-based: random sequences of sales, refunds, top-ups, redemptions and expiries.

Whatever happens, no balance goes negative, every balance equals the sum of its ledger,
the open points lots add up to the points balance, and refunding a sale completely gives
back exactly the points and stored value it took.
"""

from __future__ import annotations

from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session, func, select

from backoffice.errors import ValidationFailed
from backoffice.models import PointsAccount, PointsEntry, Sale, WalletAccount, WalletEntry
from backoffice.models.base import utcnow
from backoffice.services.loyalty import points, wallet
from backoffice.services.loyalty.catalog import CatalogItemInput, create_item, redeem_item
from backoffice.services.loyalty.sales import SaleInput, record_sale, refund_sale
from tests.unit.loyalty_fixtures import new_member, setup_programme

step = st.one_of(
    st.tuples(
        st.just("sale"), st.integers(1, 300_000), st.integers(0, 20_000), st.integers(0, 200_000)
    ),
    st.tuples(st.just("refund"), st.integers(0, 20), st.sampled_from([30, 50, 100]), st.just(0)),
    st.tuples(st.just("topup"), st.integers(1, 200_000), st.just(0), st.just(0)),
    st.tuples(st.just("redeem"), st.just(0), st.just(0), st.just(0)),
    st.tuples(st.just("expire"), st.integers(1, 30), st.just(0), st.just(0)),
)


def invariants(session: Session, member_id: int) -> None:
    account = session.get(PointsAccount, member_id)
    balance = account.balance if account else 0
    ledger = session.exec(
        select(func.coalesce(func.sum(PointsEntry.delta), 0)).where(
            PointsEntry.member_id == member_id
        )
    ).one()
    lots = session.exec(
        select(func.coalesce(func.sum(PointsEntry.remaining), 0)).where(
            PointsEntry.member_id == member_id
        )
    ).one()
    assert balance >= 0 and balance == ledger == lots
    w = session.get(WalletAccount, member_id)
    principal, bonus = (w.principal, w.bonus) if w else (0, 0)
    p_sum, b_sum = session.exec(
        select(
            func.coalesce(func.sum(WalletEntry.principal_delta), 0),
            func.coalesce(func.sum(WalletEntry.bonus_delta), 0),
        ).where(WalletEntry.member_id == member_id)
    ).one()
    assert principal >= 0 and bonus >= 0
    assert (principal, bonus) == (p_sum, b_sum)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=st.lists(step, min_size=1, max_size=25))
def test_random_histories_keep_every_ledger_exact(engine, steps):
    from sqlmodel import text

    from backoffice.demo import seed_org

    with Session(engine, expire_on_commit=False) as session:
        # Hypothesis reuses the function-scoped database: start from empty tables each time.
        from sqlmodel import SQLModel

        for table in reversed(SQLModel.metadata.sorted_tables):
            session.exec(text(f'DELETE FROM "{table.name}"'))  # type: ignore[call-overload]
        session.commit()
        stores = seed_org(session)
        from backoffice.demo import admin_actor

        admin = admin_actor(session)
        setup_programme(session, admin)
        item = create_item(session, admin, CatalogItemInput(name="毛巾", points_price=300, stock=5))
        member = new_member(session, admin, stores["SH01"], "13800009999")
        session.commit()
        mid, store = member.id, stores["SH01"]
        for kind, a, b, c in steps:
            try:
                if kind == "sale":
                    record_sale(
                        session,
                        admin,
                        SaleInput(
                            member_id=mid,
                            store_id=store,
                            amount_cents=a,
                            points_to_use=min(b, points.balance_of(session, mid)) // 2,
                            wallet_cents=min(c, sum(wallet.balances(session, mid)), a // 2),
                        ),
                    )
                elif kind == "refund":
                    sales = session.exec(select(Sale).where(Sale.member_id == mid)).all()
                    open_sales = [s for s in sales if s.refunded_cents < s.due_cents]
                    if open_sales:
                        sale = open_sales[a % len(open_sales)]
                        left = sale.due_cents - sale.refunded_cents
                        refund_sale(session, admin, sale.id, max(1, left * b // 100), "测试")
                elif kind == "topup":
                    wallet.top_up(session, admin, store, a, member_id=mid)
                elif kind == "redeem":
                    redeem_item(session, admin, item.id, store, member_id=mid)
                elif kind == "expire":
                    points.expire_points(session, now=utcnow() + timedelta(days=400 * a))
                session.commit()
            except ValidationFailed:
                session.rollback()  # refused as a whole: nothing half-written
            invariants(session, mid)
        # A fully refunded sale gives back exactly what it took.
        for sale in session.exec(select(Sale).where(Sale.member_id == mid)).all():
            if sale.refunded_cents == sale.due_cents:
                refunds = sale_refunds(session, sale.id)
                assert sum(r.points_restored for r in refunds) == sale.points_used
                assert (
                    sum(r.wallet_principal_restored for r in refunds) == sale.wallet_principal_cents
                )
                assert sum(r.wallet_bonus_restored for r in refunds) == sale.wallet_bonus_cents
                assert (
                    sum(r.points_reversed + r.points_shortfall for r in refunds)
                    == sale.points_earned
                )
                assert sum(r.amount_cents for r in refunds) == sale.due_cents
                # ...and the ledgers really received it.
                back_p, back_b = session.exec(
                    select(
                        func.coalesce(func.sum(WalletEntry.principal_delta), 0),
                        func.coalesce(func.sum(WalletEntry.bonus_delta), 0),
                    ).where(
                        WalletEntry.cause_type == "refund", WalletEntry.cause_id == str(sale.id)
                    )
                ).one()
                assert (back_p, back_b) == (sale.wallet_principal_cents, sale.wallet_bonus_cents)
                moved = session.exec(
                    select(func.coalesce(func.sum(PointsEntry.delta), 0)).where(
                        PointsEntry.cause_type == "refund", PointsEntry.cause_id == str(sale.id)
                    )
                ).one()
                assert moved == sale.points_used - sum(r.points_reversed for r in refunds)


def sale_refunds(session: Session, sale_id: int):  # noqa: ANN201
    from backoffice.models import SaleRefund

    return session.exec(select(SaleRefund).where(SaleRefund.sale_id == sale_id)).all()
