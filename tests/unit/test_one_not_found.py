"""An object outside the actor's scope answers exactly like one that does not exist.

Every by-id service call is made twice by a franchise owner of SH01 and BJ01: once with
the id of a GZ01 object, once with an id that exists nowhere. The two refusals must be the
same (class, message, field and parameters), or the answer tells the owner what exists.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from backoffice.errors import DomainError
from backoffice.services.loyalty.member_summary import member_loyalty
from backoffice.services.loyalty.points import adjust_points, points_ledger
from backoffice.services.loyalty.sales import SaleInput, member_sales, record_sale, refund_sale
from backoffice.services.loyalty.wallet import top_up
from backoffice.services.members.counter import member_for_counter
from backoffice.services.members.profiles import MemberInput, get_member_for_edit, update_member
from backoffice.services.members.search import get_member
from backoffice.services.members.status import change_member_status
from backoffice.services.members.timeline import member_timeline
from backoffice.services.messaging.messages import member_messages
from backoffice.services.org.stores import StoreInput, get_store, update_store
from tests.unit.foundation_fixtures import add_member

MISSING = 987_654


def _calls(sh: int) -> dict[str, Callable[[Any, Any, int], Any]]:
    """name → call(session, actor, id) for each by-id use case."""
    return {
        "get_member": lambda s, a, i: get_member(s, a, i),
        "get_member_for_edit": lambda s, a, i: get_member_for_edit(s, a, i),
        "update_member": lambda s, a, i: update_member(
            s, a, i, MemberInput(name="x", phone="13900000009", home_store_id=sh)
        ),
        "change_member_status": lambda s, a, i: change_member_status(s, a, i, "freeze", "x"),
        "member_timeline": lambda s, a, i: member_timeline(s, a, i),
        "member_loyalty": lambda s, a, i: member_loyalty(s, a, i),
        "member_sales": lambda s, a, i: member_sales(s, a, i),
        "member_messages": lambda s, a, i: member_messages(s, a, i),
        "points_ledger": lambda s, a, i: points_ledger(s, a, i),
        "adjust_points": lambda s, a, i: adjust_points(s, a, i, 10, "x"),
        "top_up": lambda s, a, i: top_up(s, a, sh, 100, member_id=i),
        "member_for_counter": lambda s, a, i: member_for_counter(s, a, i),
        "record_sale": lambda s, a, i: record_sale(
            s, a, SaleInput(member_id=i, store_id=sh, amount_cents=100)
        ),
    }


def _answer(call: Callable[[], Any]) -> tuple[Any, ...]:
    try:
        call()
    except DomainError as exc:
        return (type(exc).__name__, exc.message, exc.field, exc.params)
    return ("answered",)


@pytest.fixture
def gz(session, org):
    admin = org.actors["admin"]
    member = add_member(session, admin, org.stores["GZ01"], "13900000001", name="广州会员")
    sale = record_sale(
        session,
        admin,
        SaleInput(member_id=member.id, store_id=org.stores["GZ01"], amount_cents=5000),
    )
    session.commit()
    return {"member": member.id, "sale": sale.id, "store": org.stores["GZ01"]}


@pytest.mark.parametrize("name", sorted(_calls(0)))
def test_another_stores_member_answers_like_no_member(session, org, gz, name):
    owner = org.actors["owner"]
    call = _calls(org.stores["SH01"])[name]
    outside = _answer(lambda: call(session, owner, gz["member"]))
    session.rollback()
    missing = _answer(lambda: call(session, owner, MISSING))
    session.rollback()
    assert outside != ("answered",)
    assert outside == missing


def test_refund_of_another_stores_sale_answers_like_an_unknown_sale(session, org, gz):
    owner = org.actors["owner"]
    outside = _answer(lambda: refund_sale(session, owner, gz["sale"], 100, "x"))
    session.rollback()
    missing = _answer(lambda: refund_sale(session, owner, MISSING, 100, "x"))
    assert outside == missing == ("NotFound", "error.not_found", None, {})


@pytest.mark.parametrize("which", ["get_store", "update_store"])
def test_a_store_outside_the_scope_answers_like_no_store(session, org, gz, which):
    owner = org.actors["owner"]
    data = StoreInput(code="GZ09", name="x")
    call = {
        "get_store": lambda i: get_store(session, owner, i),
        "update_store": lambda i: update_store(session, owner, i, data),
    }[which]
    outside = _answer(lambda: call(gz["store"]))
    session.rollback()
    assert outside == _answer(lambda: call(MISSING))
