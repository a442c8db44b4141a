"""Checkout and refunds: what reception sees on the quote is what the ledgers get."""

from __future__ import annotations

import pytest
from sqlmodel import select

from backoffice.errors import NotFound, PermissionDenied, ValidationFailed
from backoffice.models import Coupon, CouponStatus, Member, PointsEntry, Sale, WalletEntry
from backoffice.services.loyalty import points, wallet
from backoffice.services.loyalty.coupons import issue_coupon
from backoffice.services.loyalty.sales import (
    SaleInput,
    SaleItem,
    quote_sale,
    record_sale,
    refund_sale,
)
from backoffice.services.members.counter import look_up
from backoffice.services.members.counter_codes import current_code
from tests.unit.loyalty_fixtures import new_member, setup_programme


@pytest.fixture
def shop(session, org):
    admin = org.actors["admin"]
    programme = setup_programme(session, admin)
    member = new_member(session, admin, org.stores["SH01"], "13800001111")
    session.commit()
    return {
        "org": org,
        "admin": admin,
        "member": member,
        **programme,
        "reception": org.actors["reception"],
        "sh01": org.stores["SH01"],
    }


def test_plain_sale_earns_a_point_per_yuan(session, shop):
    sale = record_sale(
        session,
        shop["reception"],
        SaleInput(member_id=shop["member"].id, store_id=shop["sh01"], amount_cents=12_345),
    )
    session.commit()
    assert (sale.gross_cents, sale.due_cents, sale.paid_cents) == (12_345, 12_345, 12_345)
    assert sale.points_earned == 123
    assert points.balance_of(session, shop["member"].id) == 123


def test_checkout_with_coupon_points_and_stored_value(session, shop):
    reception, member, store = shop["reception"], shop["member"], shop["sh01"]
    wallet.top_up(session, reception, store, 100_000, member_id=member.id)  # ¥1000 → +¥200 bonus
    points.credit(session, member.id, 5_000, points.PointsKind.ADJUST, cause_type="staff")
    coupon = issue_coupon(session, shop["admin"], shop["amount_off"].id, member.id)
    session.commit()
    data = SaleInput(
        member_id=member.id,
        store_id=store,
        coupon_id=coupon.id,
        items=[SaleItem(name="剪发", qty=1, unit_cents=30_000)],
        points_to_use=2_000,
        wallet_cents=10_000,
    )
    quote = quote_sale(session, reception, data)
    assert quote.coupon_discount_cents == 3_000 and quote.tier_discount_cents == 0
    assert quote.due_cents == 27_000
    assert quote.points_cash_cents == 2_000 and quote.points_used == 2_000
    assert (quote.wallet_principal_cents, quote.wallet_bonus_cents) == (10_000, 0)
    assert quote.paid_cents == 15_000
    assert quote.points_earned == 250  # on cash + stored-value principal: ¥250
    sale = record_sale(session, reception, data)
    session.commit()
    assert sale.due_cents == quote.due_cents and sale.points_earned == quote.points_earned
    assert points.balance_of(session, member.id) == 5_000 - 2_000 + 250
    assert wallet.balances(session, member.id) == (90_000, 20_000)
    assert session.get(Coupon, coupon.id).status == CouponStatus.USED


def test_same_request_id_records_one_sale(session, shop):
    data = SaleInput(
        member_id=shop["member"].id, store_id=shop["sh01"], amount_cents=5_000, request_id="pos-42"
    )
    first = record_sale(session, shop["reception"], data)
    second = record_sale(session, shop["reception"], data)
    session.commit()
    assert first.id == second.id
    assert points.balance_of(session, shop["member"].id) == 50


def test_upgrade_applies_right_after_the_qualifying_sale(session, shop):
    member = shop["member"]
    record_sale(
        session,
        shop["reception"],
        SaleInput(member_id=member.id, store_id=shop["sh01"], amount_cents=120_000),
    )
    session.commit()
    assert session.get(Member, member.id).tier_id == shop["tiers"]["SILVER"].id
    quote = quote_sale(
        session,
        shop["reception"],
        SaleInput(member_id=member.id, store_id=shop["sh01"], amount_cents=10_000),
    )
    assert quote.tier_discount_cents == 500 and quote.points_earned == 142  # 95 × 1.5


def test_full_refund_restores_everything_the_sale_took(session, shop):
    reception, member, store = shop["reception"], shop["member"], shop["sh01"]
    wallet.top_up(session, reception, store, 100_000, member_id=member.id)
    points.credit(session, member.id, 5_000, points.PointsKind.ADJUST, cause_type="staff")
    coupon = issue_coupon(session, shop["admin"], shop["amount_off"].id, member.id)
    session.commit()
    before = (points.balance_of(session, member.id), wallet.balances(session, member.id))
    sale = record_sale(
        session,
        reception,
        SaleInput(
            member_id=member.id,
            store_id=store,
            amount_cents=40_000,
            coupon_id=coupon.id,
            points_to_use=1_000,
            wallet_cents=20_000,
        ),
    )
    session.commit()
    owner = shop["org"].actors["owner"]
    refund_sale(session, owner, sale.id, 10_000, "部分退款")
    refund_sale(session, owner, sale.id, sale.due_cents - 10_000, "全部退款")
    session.commit()
    assert (points.balance_of(session, member.id), wallet.balances(session, member.id)) == before
    assert session.get(Coupon, coupon.id).status == CouponStatus.ISSUED


def test_reception_cannot_refund_and_cannot_sell_at_another_store(session, shop):
    sale = record_sale(
        session,
        shop["reception"],
        SaleInput(member_id=shop["member"].id, store_id=shop["sh01"], amount_cents=1_000),
    )
    session.commit()
    with pytest.raises(PermissionDenied):
        refund_sale(session, shop["reception"], sale.id, 1_000, "x")
    with pytest.raises(PermissionDenied):
        record_sale(
            session,
            shop["reception"],
            SaleInput(
                member_id=shop["member"].id, store_id=shop["org"].stores["GZ01"], amount_cents=1_000
            ),
        )


def test_member_of_another_store_is_served_only_once_presented(session, shop):
    gz_member = new_member(session, shop["admin"], shop["org"].stores["GZ01"], "13800002222")
    session.commit()
    for ref in ({"member_id": gz_member.id}, {"member_ref": "13800002222"}):
        with pytest.raises(NotFound):  # neither the id nor the phone alone (#18 item 1)
            record_sale(
                session,
                shop["reception"],
                SaleInput(**ref, store_id=shop["sh01"], amount_cents=1_000),
            )
    look_up(session, shop["reception"], "13800002222", current_code(gz_member.id or 0))
    sale = record_sale(
        session,
        shop["reception"],
        SaleInput(member_ref="13800002222", store_id=shop["sh01"], amount_cents=1_000),
    )
    session.commit()
    assert sale.member_id == gz_member.id and sale.store_id == shop["sh01"]


def test_bad_checkout_input_names_the_field_and_writes_nothing(session, shop):
    count = lambda model: len(session.exec(select(model)).all())  # noqa: E731
    before = (count(PointsEntry), count(WalletEntry))
    with pytest.raises(ValidationFailed) as err:
        record_sale(
            session,
            shop["reception"],
            SaleInput(
                member_id=shop["member"].id,
                store_id=shop["sh01"],
                amount_cents=1_000,
                wallet_cents=500,
            ),
        )
    session.rollback()
    assert err.value.errors == {"wallet_cents": "error.wallet_insufficient"}
    assert (count(PointsEntry), count(WalletEntry)) == before


def test_a_session_holding_an_old_copy_of_the_sale_cannot_over_refund(session, engine, shop):
    from sqlmodel import Session

    sale = record_sale(
        session,
        shop["reception"],
        SaleInput(member_id=shop["member"].id, store_id=shop["sh01"], amount_cents=10_000),
    )
    session.commit()
    assert session.get(Sale, sale.id).refunded_cents == 0  # this session holds the sale
    session.commit()
    with Session(engine) as other_till:
        refund_sale(other_till, shop["admin"], sale.id, 8_000, "退货")
        other_till.commit()
    with pytest.raises(ValidationFailed) as err:
        refund_sale(session, shop["admin"], sale.id, 8_000, "再退一次")
    assert err.value.errors == {"amount_cents": "error.refund_amount"}
    session.rollback()
    assert session.get(Sale, sale.id).refunded_cents == 8_000
