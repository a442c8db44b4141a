"""The hand-made chain the report tests share (see tests/unit/test_reports.py's docstring)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from backoffice.services.loyalty.coupons import issue_coupon
from backoffice.services.loyalty.sales import SaleInput, record_sale, refund_sale
from backoffice.services.loyalty.wallet import top_up
from backoffice.services.reports.dashboard import ReportFilter, default_filter
from tests.unit.loyalty_fixtures import new_member, setup_programme


@pytest.fixture(name="chain")
def chain_fixture(session, org):
    admin = org.actors["admin"]
    programme = setup_programme(session, admin)
    sh, bj, gz = org.stores["SH01"], org.stores["BJ01"], org.stores["GZ01"]
    a = new_member(session, admin, sh, "13800000001", "A")
    b = new_member(session, admin, sh, "13800000002", "B")
    c = new_member(session, admin, bj, "13800000003", "C")
    d = new_member(session, admin, gz, "13800000004", "D")
    session.commit()

    def sale(member, store, cents, **extra):  # noqa: ANN001, ANN202
        done = record_sale(
            session,
            admin,
            SaleInput(member_id=member.id, store_id=store, amount_cents=cents, **extra),
        )
        session.commit()
        return done

    sale(a, sh, 10_000)
    second = sale(a, sh, 20_000)
    refund_sale(session, admin, second.id, 5_000, "部分退款")
    top_up(session, admin, sh, 100_000, member_id=b.id)
    coupon = issue_coupon(session, admin, programme["amount_off"].id, c.id)
    session.commit()
    sale(c, bj, 30_000, coupon_id=coupon.id)
    sale(d, gz, 50_000)
    sale(d, gz, 60_000)
    session.commit()
    today = default_filter(1).end
    return {
        "org": org,
        "members": {"A": a, "B": b, "C": c, "D": d},
        "range": ReportFilter(today - timedelta(days=1), today + timedelta(days=1), compare=False),
        "second_sale": second,
        "coupon": coupon,
    }
