"""An output with nothing connected ends the run there: a condition's unwired "no" branch
does not block publishing, and the members who take it finish (completed) with no effect."""

from __future__ import annotations

from sqlmodel import select

import backoffice.db
from backoffice.models import MemberTag, RunStatus, StepExecution, WorkflowRun
from backoffice.services.members.profiles import MemberInput, create_member
from backoffice.workflows.campaigns.lifecycle import (
    WorkflowInput,
    create_workflow,
    publish_workflow,
    run_now,
    validate_workflow,
)
from backoffice.workflows.engine import advance
from tests.unit.loyalty_fixtures import setup_programme
from tests.unit.workflow_fixtures import edge, node

ONLY_VIP = {
    "match": "all",
    "rules": [{"kind": "tag", "field": "", "op": "eq", "value": "VIP", "days": 30}],
}


def test_an_unwired_no_branch_is_publishable_and_ends_the_run(session, org, engine, monkeypatch):
    monkeypatch.setattr(backoffice.db, "get_engine", lambda: engine)
    admin = org.actors["admin"]
    setup_programme(session, admin)
    graph = {
        "nodes": [
            node("t", "trigger.manual"),
            node("c", "condition", condition=ONLY_VIP),
            node("a", "action.add_tag", tag="seen"),
        ],
        "edges": [edge("t", "c"), edge("c", "a", "yes")],  # "no" goes nowhere
    }
    workflow = create_workflow(session, admin, WorkflowInput(name="只给VIP", graph=graph))
    assert validate_workflow(session, admin, workflow.id) == []
    publish_workflow(session, admin, workflow.id)
    member = create_member(
        session,
        admin,
        MemberInput(name="普通", phone="13900000088", home_store_id=org.stores["SH01"]),
    )
    session.commit()
    started = run_now(session, admin, workflow.id)
    session.commit()
    ids = [i for i in started if session.get(WorkflowRun, i).member_id == member.id]
    session.commit()  # SQLite: one writer at a time
    advance(ids)
    session.expire_all()
    run = session.get(WorkflowRun, ids[0])
    assert run.status == RunStatus.COMPLETED
    steps = session.exec(select(StepExecution).where(StepExecution.run_id == run.id)).all()
    assert [(s.node_id, s.handle) for s in steps] == [("c", "no")]
    assert session.get(MemberTag, (member.id, "seen")) is None
