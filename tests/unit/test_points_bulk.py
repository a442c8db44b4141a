"""A campaign's bulk grant (points.credit_many): a workflow step credits once however
often it runs (the ledger's unique workflow cause), and a member granted several times in
one call gets each grant (one UPDATE per multiplicity, not per member)."""

from __future__ import annotations

import pytest
from sqlmodel import select

from backoffice.models import PointsEntry, PointsKind
from backoffice.services.loyalty import points
from tests.unit.loyalty_fixtures import new_member


@pytest.fixture
def members(session, org):
    admin, sh01 = org.actors["admin"], org.stores["SH01"]
    found = [new_member(session, admin, sh01, f"1381111{n:04d}") for n in range(3)]
    session.commit()
    return found


def _grant(session, grants) -> int:  # noqa: ANN001
    return points.credit_many(session, grants, 10, PointsKind.EARN, cause_type="workflow")


def test_the_same_workflow_step_credits_once(session, members):
    a, b, _ = members
    assert _grant(session, [(a.id, None, "wf1:2"), (b.id, None, "wf2:2")]) == 2
    assert _grant(session, [(a.id, None, "wf1:2"), (b.id, None, "wf2:3")]) == 1  # a: a re-run
    assert points.balances_of(session, [a.id, b.id]) == {a.id: 10, b.id: 20}
    entries = session.exec(select(PointsEntry).where(PointsEntry.member_id == a.id)).all()
    assert [(e.cause_id, e.balance_after) for e in entries] == [("wf1:2", 10)]


def test_a_member_granted_twice_in_one_call_gets_each_grant(session, members):
    a, b, c = members
    _grant(session, [(a.id, None, "x1"), (b.id, None, "x2"), (a.id, None, "x3"), (a.id, 5, "x4")])
    assert points.balances_of(session, [a.id, b.id, c.id]) == {a.id: 30, b.id: 10}  # c: no account
    after = session.exec(
        select(PointsEntry.balance_after)
        .where(PointsEntry.member_id == a.id)
        .order_by(PointsEntry.id)
    ).all()
    assert after == [10, 20, 30]


def test_other_causes_are_not_unique(session, members):
    """Only workflow steps are keyed: two sales with the same id field stay two entries."""
    a = members[0]
    for _ in range(2):
        points.credit_many(session, [(a.id, None, "s1")], 5, PointsKind.EARN, cause_type="sale")
    assert points.balance_of(session, a.id) == 10


def test_a_grant_needs_a_positive_amount(session, members):
    with pytest.raises(ValueError):
        points.credit_many(
            session, [(members[0].id, None, "z")], 0, PointsKind.EARN, cause_type="workflow"
        )
