"""Activity in the last N days (services/loyalty/activity.py): one definition of spend,
visits and points earned, read the same by tiers and by campaign conditions."""

from __future__ import annotations

from datetime import timedelta

import pytest

from backoffice.models.base import utcnow
from backoffice.services.loyalty.activity import activity_of, activity_totals
from backoffice.services.loyalty.sales import SaleInput, record_sale, refund_sale
from backoffice.services.loyalty.tiers import metric_value
from backoffice.workflows.conditions import Group, Rule, matching_ids
from tests.unit.loyalty_fixtures import new_member, setup_programme


@pytest.fixture
def history(session, org, clock):
    """A member with an old sale (40 days ago), two recent sales, one of them refunded in
    full, and one partly refunded; a second member with nothing."""
    admin, sh = org.actors["admin"], org.stores["SH01"]
    setup_programme(session, admin)
    member = new_member(session, admin, sh, "13800002001")
    idle = new_member(session, admin, sh, "13800002002")
    session.commit()
    clock.shift(timedelta(days=-40))
    record_sale(session, admin, SaleInput(member_id=member.id, store_id=sh, amount_cents=50_000))
    clock.shift(timedelta(days=35))
    whole = record_sale(
        session, admin, SaleInput(member_id=member.id, store_id=sh, amount_cents=10_000)
    )
    part = record_sale(
        session, admin, SaleInput(member_id=member.id, store_id=sh, amount_cents=30_000)
    )
    session.commit()
    refund_sale(session, admin, whole.id, 10_000, "退货")
    refund_sale(session, admin, part.id, 5_000, "部分退货")
    session.commit()
    clock.shift(timedelta(days=5))
    return member, idle


def test_spend_is_paid_net_of_refunds_within_the_window(session, history):
    member, idle = history
    since = utcnow() - timedelta(days=30)
    assert activity_of(session, "spend", member.id, since) == 25_000
    assert activity_of(session, "spend", member.id, utcnow() - timedelta(days=60)) == 75_000
    assert activity_totals(session, "spend", [member.id, idle.id], since) == {member.id: 25_000}


def test_visits_leave_out_sales_refunded_in_full(session, history):
    member, _idle = history
    assert activity_of(session, "visits", member.id, utcnow() - timedelta(days=30)) == 1
    assert activity_of(session, "visits", member.id, utcnow() - timedelta(days=60)) == 2


def test_points_count_what_was_earned_not_what_refunds_took_back(session, history):
    member, _idle = history
    # 1 point per ¥1 paid: ¥100 + ¥300 earned in the window (refunds are not earnings)
    assert activity_of(session, "points", member.id, utcnow() - timedelta(days=30)) == 400


def test_tiers_and_campaign_conditions_read_the_same_activity(session, history):
    member, idle = history
    for kind, amount in (("spend", 25_000), ("visits", 1), ("points", 400)):
        assert metric_value(session, member.id, kind, 30) == amount
        rule = Rule(kind="activity", field=kind, op="gte", value=amount, days=30)
        found = matching_ids(session, Group(rules=[rule]), [member.id, idle.id])
        assert set(found) == {member.id}, kind
        above = Rule(kind="activity", field=kind, op="gt", value=amount, days=30)
        assert not matching_ids(session, Group(rules=[above]), [member.id, idle.id]), kind
