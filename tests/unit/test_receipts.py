"""A sale's receipt and who may refund it: permission and store scope decided by the service,
tried as the wrong store and the wrong role."""

from __future__ import annotations

import pytest

from backoffice.errors import NotFound, PermissionDenied
from backoffice.services.loyalty.receipts import sale_receipt
from backoffice.services.loyalty.sales import SaleInput, SaleItem, record_sale, refund_sale
from tests.unit.loyalty_fixtures import new_member, setup_programme


@pytest.fixture
def sale(session, org):
    setup_programme(session, org.actors["admin"])
    member = new_member(session, org.actors["admin"], org.stores["SH01"], "13800002222")
    sold = record_sale(
        session,
        org.actors["reception"],
        SaleInput(
            member_id=member.id,
            store_id=org.stores["SH01"],
            items=[SaleItem(name="烫发", qty=2, unit_cents=19_800)],
        ),
    )
    session.commit()
    return sold


def test_the_receipt_names_the_store_cashier_member_and_lines(session, org, sale):
    receipt = sale_receipt(session, org.actors["owner"], sale.id)
    assert receipt.store_name == "上海静安店" and receipt.clerk_name == "前台 小林"
    assert receipt.sale.items[0]["name"] == "烫发" and receipt.refundable_cents == 39_600
    assert receipt.can_refund  # the owner holds sales.refund for SH01


def test_reception_sees_the_receipt_but_may_not_refund_without_the_permission(session, org, sale):
    receipt = sale_receipt(session, org.actors["reception"], sale.id)
    assert receipt.refundable_cents == 39_600 and not receipt.can_refund
    with pytest.raises(PermissionDenied):
        refund_sale(session, org.actors["reception"], sale.id, 1_000, "试用")


def test_another_stores_clerk_gets_not_found_for_receipt_and_refund(session, org, sale):
    gz = org.actors["reception_gz"]
    with pytest.raises(NotFound):
        sale_receipt(session, gz, sale.id)
    with pytest.raises(NotFound):
        sale_receipt(session, gz, 999_999)


def test_after_a_refund_the_receipt_lists_it_and_what_is_left(session, org, sale):
    refund_sale(session, org.actors["owner"], sale.id, 10_000, "不满意")
    session.commit()
    receipt = sale_receipt(session, org.actors["admin"], sale.id)
    assert receipt.refundable_cents == 29_600
    assert [(r.refund.amount_cents, r.clerk_name) for r in receipt.refunds] == [
        (10_000, "加盟商 陈老板")
    ]
    refund_sale(session, org.actors["owner"], sale.id, 29_600, "全部退")
    session.commit()
    assert not sale_receipt(session, org.actors["owner"], sale.id).can_refund
