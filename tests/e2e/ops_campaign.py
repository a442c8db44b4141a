"""Run inside the app's environment (DATA_DIR, REDIS_URL of the running app) by the
operations browser test: publish a manual campaign (points, then a one-day wait) and start
it for every member, as a manager's "run now" does; prints the number of runs."""

from __future__ import annotations

import sys

from sqlmodel import select

from backoffice.db import session_scope
from backoffice.models import Staff
from backoffice.services.org.access import load_actor
from backoffice.workflows.campaigns.builder import auto_layout
from backoffice.workflows.campaigns.handoff import submit_runs
from backoffice.workflows.campaigns.lifecycle import (
    WorkflowInput,
    create_workflow,
    publish_workflow,
    run_now,
)


def node(node_id: str, node_type: str, **config: object) -> dict:
    return {"id": node_id, "type": node_type, "config": config, "position": {"x": 0, "y": 0}}


def edge(a: str, b: str) -> dict:
    return {"id": f"{a}-{b}", "source": a, "source_handle": "out", "target": b}


def main() -> int:
    graph = {
        "nodes": [
            node("t", "trigger.manual"),
            node("p", "action.grant_points", points=10, note="运维演示"),
            node("w", "wait", amount=1, unit="days"),
            node("q", "action.grant_points", points=10, note="运维演示 第二天"),
        ],
        "edges": [edge("t", "p"), edge("p", "w"), edge("w", "q")],
    }
    with session_scope() as session:
        staff = session.exec(select(Staff).where(Staff.username == "admin")).one()
        admin = load_actor(session, staff)
        workflow = create_workflow(
            session, admin, WorkflowInput(name="运维演示活动", graph=auto_layout(graph))
        )
        publish_workflow(session, admin, workflow.id)
        run_ids = run_now(session, admin, workflow.id)
    if not submit_runs(run_ids):
        return 1
    print(len(run_ids))
    return 0


if __name__ == "__main__":
    sys.exit(main())
