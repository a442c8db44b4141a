"""50 parallel spends on one member that together exceed the balance, on the real database.

Exactly the affordable ones succeed; the rest get "insufficient balance"; nothing else
changes. Runs on SQLite by default and on PostgreSQL when DATABASE_URL points there.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlmodel import Session, func, select

from backoffice.demo import admin_actor, seed_org
from backoffice.errors import ValidationFailed
from backoffice.models import CatalogItem, PointsEntry, Redemption, Sale, WalletEntry
from backoffice.services.loyalty import points, wallet
from backoffice.services.loyalty.catalog import CatalogItemInput, create_item, redeem_item
from backoffice.services.loyalty.sales import SaleInput, record_sale
from backoffice.services.members.profiles import MemberInput, create_member

pytestmark = pytest.mark.integration
ATTEMPTS = 50


@pytest.fixture
def member_with_balances(engine):
    with Session(engine, expire_on_commit=False) as session:
        stores = seed_org(session)
        admin = admin_actor(session)
        member = create_member(
            session,
            admin,
            MemberInput(name="并发会员", phone="13800005555", home_store_id=stores["SH01"]),
        )
        session.commit()
        wallet.top_up(session, admin, stores["SH01"], 10_000, member_id=member.id)
        points.credit(session, member.id, 10_000, points.PointsKind.ADJUST, cause_type="staff")
        item = create_item(
            session, admin, CatalogItemInput(name="礼品", points_price=300, stock=1000)
        )
        session.commit()
    return {"member": member.id, "store": stores["SH01"], "admin": admin, "item": item.id}


def _race(engine, work) -> tuple[int, list[str]]:  # noqa: ANN001
    def attempt(i: int) -> str:
        with Session(engine, expire_on_commit=False) as session:
            try:
                work(session, i)
                session.commit()
                return "ok"
            except ValidationFailed as exc:
                session.rollback()
                return next(iter(exc.errors.values()))

    with ThreadPoolExecutor(max_workers=ATTEMPTS) as pool:
        results = list(pool.map(attempt, range(ATTEMPTS)))
    return results.count("ok"), [r for r in results if r != "ok"]


def test_parallel_stored_value_payments_never_overdraw(engine, member_with_balances):
    m = member_with_balances
    ok, refused = _race(
        engine,
        lambda session, i: record_sale(
            session,
            m["admin"],
            SaleInput(
                member_id=m["member"],
                store_id=m["store"],
                amount_cents=300,
                wallet_cents=300,
                request_id=f"race-pay-{i}",
            ),
        ),
    )
    assert ok == 33  # 33 × ¥3 = ¥99 of the ¥100 balance
    assert set(refused) == {"error.wallet_insufficient"} and len(refused) == ATTEMPTS - 33
    with Session(engine) as session:
        assert wallet.balances(session, m["member"]) == (100, 0)
        assert session.exec(select(func.count()).select_from(Sale)).one() == 33
        pays = session.exec(
            select(func.count()).select_from(WalletEntry).where(WalletEntry.kind == "pay")
        ).one()
        assert pays == 33


def test_parallel_redemptions_never_overdraw_points(engine, member_with_balances):
    m = member_with_balances
    ok, refused = _race(
        engine,
        lambda session, i: redeem_item(
            session,
            m["admin"],
            m["item"],
            m["store"],
            member_id=m["member"],
            request_id=f"race-redeem-{i}",
        ),
    )
    assert ok == 33  # 33 × 300 = 9,900 of 10,000 points
    assert set(refused) == {"error.points_insufficient"}
    with Session(engine) as session:
        assert points.balance_of(session, m["member"]) == 100
        assert session.exec(select(func.count()).select_from(Redemption)).one() == 33
        assert session.get(CatalogItem, m["item"]).stock == 1000 - 33
        ledger = session.exec(
            select(func.sum(PointsEntry.delta)).where(PointsEntry.member_id == m["member"])
        ).one()
        assert ledger == 100


def test_the_same_top_up_sent_twice_at_once_counts_once(engine, member_with_balances):
    m = member_with_balances
    ok, refused = _race(
        engine,
        lambda session, _i: wallet.top_up(
            session, m["admin"], m["store"], 5_000, member_id=m["member"], request_id="same-topup"
        ),
    )
    assert ok == ATTEMPTS and not refused  # every caller gets the first result back
    with Session(engine) as session:
        assert wallet.balances(session, m["member"]) == (15_000, 0)


def test_mixed_ledger_operations_from_four_tills_all_succeed_and_balances_match(engine):
    """Sales (with points and stored value), refunds, top-ups and redemptions at random
    from four threads over a few members of two stores. On PostgreSQL two of them can
    deadlock on shared rows (the store's daily figures, the accounts); such a transaction
    did nothing and is run again (db.retry_conflicts), so every operation ends as ok or a
    business refusal, and every balance equals its ledger."""
    import random

    from backoffice.db import retry_conflicts
    from backoffice.models import PointsAccount, WalletAccount
    from backoffice.services.loyalty.sales import refund_sale

    with Session(engine, expire_on_commit=False) as session:
        stores = seed_org(session)
        admin = admin_actor(session)
        members = []
        for i in range(4):
            store = stores["SH01"] if i % 2 else stores["BJ01"]
            member = create_member(
                session,
                admin,
                MemberInput(name=f"会员{i}", phone=f"1380000600{i}", home_store_id=store),
            )
            session.commit()
            wallet.top_up(session, admin, store, 50_000, member_id=member.id)
            points.credit(session, member.id, 5_000, points.PointsKind.ADJUST, cause_type="staff")
            members.append((member.id, store))
        item = create_item(
            session, admin, CatalogItemInput(name="礼品", points_price=100, stock=10**6)
        )
        session.commit()
    sales: list[int] = []
    outcomes: list[str] = []

    def operation(n: int) -> str:
        rng = random.Random(n)
        member_id, store = rng.choice(members)
        kind = rng.choice(["sale", "sale", "refund", "top_up", "redeem"])

        def once() -> str:
            with Session(engine, expire_on_commit=False) as session:
                if kind == "sale":
                    sale = record_sale(
                        session,
                        admin,
                        SaleInput(
                            member_id=member_id,
                            store_id=rng.choice(list(stores.values())[1:]),
                            amount_cents=rng.randint(1_000, 5_000),
                            points_to_use=rng.choice([0, 0, 100]),
                            wallet_cents=rng.choice([0, 500]),
                        ),
                    )
                    session.commit()
                    sales.append(sale.id)
                elif kind == "refund" and sales:
                    refund_sale(session, admin, rng.choice(sales), 100, "退一点")
                    session.commit()
                elif kind == "top_up":
                    wallet.top_up(session, admin, store, 1_000, member_id=member_id)
                    session.commit()
                else:
                    redeem_item(session, admin, item.id, store, member_id=member_id)
                    session.commit()
            return "ok"

        try:
            return retry_conflicts(once)
        except ValidationFailed:
            return "refused"

    with ThreadPoolExecutor(max_workers=4) as pool:
        outcomes = list(pool.map(operation, range(400)))
    assert set(outcomes) <= {"ok", "refused"} and outcomes.count("ok") > 300
    with Session(engine) as session:
        for member_id, _store in members:
            ledger = session.exec(
                select(func.coalesce(func.sum(PointsEntry.delta), 0)).where(
                    PointsEntry.member_id == member_id
                )
            ).one()
            account = session.get(PointsAccount, member_id)
            assert account is not None and account.balance == ledger >= 0
            wallet_ledger = session.exec(
                select(
                    func.coalesce(
                        func.sum(WalletEntry.principal_delta + WalletEntry.bonus_delta), 0
                    )
                ).where(WalletEntry.member_id == member_id)
            ).one()
            purse = session.get(WalletAccount, member_id)
            assert purse is not None and purse.principal + purse.bonus == wallet_ledger >= 0
