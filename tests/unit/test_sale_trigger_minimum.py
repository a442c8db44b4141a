"""The sale trigger's minimum amount: only a sale paying at least that much starts a run
("消费满 ¥300 → 送 100 积分"), every sale when it is 0."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from sqlmodel import select

import backoffice.db
from backoffice.models import WorkflowRun
from backoffice.services.loyalty.sales import SaleInput, record_sale
from backoffice.services.members.profiles import MemberInput, create_member
from backoffice.workflows.campaigns.lifecycle import (
    WorkflowInput,
    create_workflow,
    publish_workflow,
)
from backoffice.workflows.nodes import REGISTRY
from backoffice.workflows.triggers import dispatch_events
from tests.unit.loyalty_fixtures import setup_programme
from tests.unit.workflow_fixtures import chain, node

SALE = REGISTRY["trigger.sale_recorded"]


def _config(yuan: int):  # noqa: ANN202
    return SALE.Config.model_validate({"min_amount_yuan": yuan})


def test_the_minimum_is_compared_with_what_the_sale_paid():
    assert SALE.matches_event(_config(300), {"due_cents": 30_000})
    assert not SALE.matches_event(_config(300), {"due_cents": 29_999})
    assert not SALE.matches_event(_config(300), {})  # no amount: not a qualifying sale
    assert SALE.matches_event(_config(0), {"due_cents": 1})
    assert SALE.matches_event(SALE.Config(), {})  # an old graph without the field: any sale


def test_a_negative_minimum_is_refused():
    with pytest.raises(ValidationError):
        _config(-1)


def test_the_node_reads_as_a_sentence():
    t = lambda key, **p: f"{key}:{p.get('amount', '')}"  # noqa: E731
    assert SALE.summary(_config(300), t) == "summary.sale_min:300"
    assert SALE.summary(_config(0), t) == "node.sale_recorded:"


def test_only_a_sale_over_the_minimum_starts_a_run(session, org, engine, monkeypatch):
    monkeypatch.setattr(backoffice.db, "get_engine", lambda: engine)
    admin = org.actors["admin"]
    setup_programme(session, admin)
    graph = chain(
        node("t", "trigger.sale_recorded", min_amount_yuan=300),
        node("a", "action.grant_points", points=100, note="满300"),
    )
    workflow = create_workflow(session, admin, WorkflowInput(name="满300送积分", graph=graph))
    publish_workflow(session, admin, workflow.id)
    store = org.stores["SH01"]
    member = create_member(
        session, admin, MemberInput(name="顾客", phone="13900000077", home_store_id=store)
    )
    session.commit()
    for cents in (29_900, 30_000):
        record_sale(
            session, admin, SaleInput(member_id=member.id, store_id=store, amount_cents=cents)
        )
    session.commit()
    dispatch_events(session)
    session.commit()
    runs = session.exec(select(WorkflowRun).where(WorkflowRun.workflow_id == workflow.id)).all()
    assert len(runs) == 1
