"""A worker's rehearsal before it forks work horses: RQ runs each job in a fresh fork of
the worker, so whatever the worker has not done once (mapper configuration, SQLAlchemy's
compiled statements) every horse does again: measured, a 1,000-run batch took 2-3 s in a
cold horse against 0.6-0.9 s warm. The worker therefore walks one throwaway member through
a condition → grant points → message campaign in a transaction it rolls back, then closes
its connections (each horse opens its own)."""

from __future__ import annotations

import logging
import os

from sqlalchemy.orm import configure_mappers
from sqlmodel import Session, select

from backoffice.db import get_engine, read_engine
from backoffice.models import Member, MessageTemplate, Store, Workflow, WorkflowVersion
from backoffice.models.base import utcnow
from backoffice.workflows.engine.outcomes import WaveReport
from backoffice.workflows.engine.runs import start_runs
from backoffice.workflows.engine.waves import MAX_WAVES, _wave

log = logging.getLogger("backoffice.engine")


def fresh_pools_in_work_horses() -> None:
    """A forked work horse must not use the worker's pooled connections (the worker's own
    threads, e.g. the scheduler watch, use them too: two processes on one socket break
    both). SQLAlchemy's recipe: the child disposes of the pool without closing them; the
    engine, and its compiled statements, stay."""
    os.register_at_fork(after_in_child=_forget_parent_connections)


def _forget_parent_connections() -> None:
    if get_engine.cache_info().currsize:
        engine = get_engine()
        for each in {engine, read_engine(engine)}:
            each.dispose(close=False)


def _graph(template_id: int) -> dict[str, object]:
    active = {"kind": "field", "field": "status", "op": "eq", "value": "active"}
    nodes = [
        {"id": "t", "type": "trigger.manual", "config": {}},
        {"id": "c", "type": "condition", "config": {"condition": {"rules": [active]}}},
        {"id": "p", "type": "action.grant_points", "config": {"points": 1}},
        {"id": "m", "type": "action.send_message", "config": {"template_id": template_id}},
    ]
    pairs = [("t", "c", "out"), ("c", "p", "yes"), ("p", "m", "out")]
    edges = [{"id": f"{a}{b}", "source": a, "target": b, "source_handle": h} for a, b, h in pairs]
    return {"nodes": nodes, "edges": edges}


def rehearse() -> bool:
    """Warm this process up (see the module); nothing it writes is kept. False when there
    is nothing to rehearse with (no store yet) or the rehearsal failed (logged, harmless)."""
    configure_mappers()
    engine = get_engine()
    try:
        with engine.connect() as conn:
            outer = conn.begin()
            try:
                with Session(bind=conn, join_transaction_mode="create_savepoint") as session:
                    done = _walk(session)
            finally:
                outer.rollback()
    except Exception:  # noqa: BLE001  (a cold worker still works, only slower)
        log.warning("worker warm-up failed", exc_info=True)
        done = False
    engine.dispose()  # no connection crosses the fork
    return done


def _walk(session: Session) -> bool:
    store = session.exec(select(Store).limit(1)).first()
    if store is None:
        return False
    member = Member(
        member_no="~warmup", name="~", phone="~warmup", phone_tail="~", home_store_id=store.id or 0
    )
    template = MessageTemplate(name="~", body="{{member.name}} {{points.balance}}")
    session.add_all([member, template])
    session.flush()
    workflow = Workflow(name="~warmup", published_version=1, trigger_type="trigger.manual")
    session.add(workflow)
    session.flush()
    session.add(
        WorkflowVersion(workflow_id=workflow.id or 0, version=1, graph=_graph(template.id or 0))
    )
    session.flush()
    pending = set(start_runs(session, workflow, [member.id or 0], "warmup"))
    members: dict[int, Member] = {}
    for _ in range(MAX_WAVES):
        if not pending:
            break
        pending, _calls = _wave(session, pending, utcnow(), WaveReport(), members)
    return True
