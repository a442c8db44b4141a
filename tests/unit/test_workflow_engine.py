"""The workflow engine with the synchronous executor: validation, versions, triggers, every
kind of node, dry runs, the frequency cap, quiet hours, retries, exactly-once effects."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text
from sqlmodel import Session, func, select

import backoffice.db
from backoffice.errors import NotFound, PermissionDenied, ValidationFailed
from backoffice.models import (
    Coupon,
    Member,
    MessageStatus,
    OutboxMessage,
    PointsEntry,
    RunStatus,
    StepExecution,
    WorkflowRun,
)
from backoffice.services.loyalty import points
from backoffice.services.loyalty.sales import SaleInput, record_sale
from backoffice.services.members.profiles import MemberInput, create_member, update_member
from backoffice.services.messaging.messages import TemplateInput, create_template
from backoffice.services.messaging.rules import set_consent
from backoffice.workflows.campaigns.lifecycle import (
    WorkflowInput,
    create_workflow,
    dry_run_workflow,
    list_workflows,
    publish_workflow,
    retry_run,
    save_draft,
    validate_workflow,
)
from backoffice.workflows.engine import advance
from backoffice.workflows.triggers import dispatch_events, fire_time_triggers
from tests.unit.loyalty_fixtures import setup_programme
from tests.unit.workflow_fixtures import chain, edge, node

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOON = datetime(2026, 6, 1, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai: outside quiet hours


@pytest.fixture
def wf(session, org, engine, monkeypatch):
    """HQ admin, a loyalty programme, a greeting template; the engine on this database."""
    monkeypatch.setattr(backoffice.db, "get_engine", lambda: engine)
    admin = org.actors["admin"]
    programme = setup_programme(session, admin)
    greeting = create_template(
        session,
        admin,
        TemplateInput(
            name="生日祝福", body="{{member.name}}，生日快乐！送您优惠券 {{coupon.code}}"
        ),
    )
    session.commit()
    return {"admin": admin, "org": org, "greeting": greeting, **programme}


def _member(session: Session, wf: dict, phone: str, **extra) -> Member:  # noqa: ANN003
    member = create_member(
        session,
        wf["admin"],
        MemberInput(name="测试", phone=phone, home_store_id=wf["org"].stores["SH01"], **extra),
    )
    session.commit()
    return member


def _publish(session: Session, wf: dict, graph: dict, store_ids: list[int] | None = None):  # noqa: ANN202
    workflow = create_workflow(
        session, wf["admin"], WorkflowInput(name="测试流程", graph=graph, store_ids=store_ids or [])
    )
    publish_workflow(session, wf["admin"], workflow.id)
    session.commit()
    return workflow


def go(session: Session, run_ids: list[int], now: datetime | None = None) -> None:
    """Commit what the test wrote (SQLite: one writer at a time), then advance the runs."""
    session.commit()
    if now is None:
        advance(run_ids)
    else:
        advance(run_ids, now=lambda: now)
    session.expire_all()


def _next_noon() -> datetime:
    """12:00 in Shanghai, the next one from now: outside quiet hours, after anything just
    recorded."""
    local = datetime.now(SHANGHAI)
    noon = local.replace(hour=12, minute=0, second=0, microsecond=0)
    return (noon if noon > local else noon + timedelta(days=1)).astimezone(UTC)


def _messages(session: Session, member_id: int) -> list[OutboxMessage]:
    return list(session.exec(select(OutboxMessage).where(OutboxMessage.member_id == member_id)))


def test_an_invalid_graph_lists_every_problem_on_its_node_and_cannot_be_published(session, wf):
    graph = {
        "nodes": [
            node("t", "trigger.sale_recorded"),
            node("c", "condition"),
            node("m", "action.send_message"),
            node("lost", "action.add_tag", tag="x"),
        ],
        "edges": [edge("t", "c"), edge("c", "m", "yes")],
    }
    workflow = create_workflow(session, wf["admin"], WorkflowInput(name="坏流程", graph=graph))
    problems = {
        (p.node_id, p.message) for p in validate_workflow(session, wf["admin"], workflow.id)
    }
    assert ("c", "error.condition_empty") in problems
    assert not any(m == "error.branch_unconnected" for _, m in problems)  # the no branch ends
    assert ("m", "error.template_unknown") in problems
    assert ("lost", "error.node_unreachable") in problems
    with pytest.raises(ValidationFailed):
        publish_workflow(session, wf["admin"], workflow.id)


def test_one_trigger_and_no_loop_without_a_wait(session, wf):
    loop = {
        "nodes": [
            node("t", "trigger.manual"),
            node("a", "action.add_tag", tag="x"),
            node("b", "action.add_tag", tag="y"),
        ],
        "edges": [edge("t", "a"), edge("a", "b"), edge("b", "a")],
    }
    workflow = create_workflow(session, wf["admin"], WorkflowInput(name="环", graph=loop))
    messages = {p.message for p in validate_workflow(session, wf["admin"], workflow.id)}
    assert "error.cycle" in messages
    none = create_workflow(
        session,
        wf["admin"],
        WorkflowInput(name="无触发", graph=chain(node("a", "action.add_tag", tag="x"))),
    )
    assert "error.one_trigger" in {
        p.message for p in validate_workflow(session, wf["admin"], none.id)
    }


def test_sale_triggered_upgrade_workflow_runs_once_per_sale(session, wf):
    graph = {
        "nodes": [
            node("t", "trigger.sale_recorded"),
            node(
                "c",
                "condition",
                condition={
                    "match": "all",
                    "rules": [
                        {
                            "kind": "activity",
                            "field": "spend",
                            "op": "gte",
                            "value": 50_000,
                            "days": 90,
                        }
                    ],
                },
            ),
            node("gold", "action.set_tier", tier_code="GOLD"),
            node("msg", "action.send_message", template_id=wf["greeting"].id),
            node("end", "stop"),
        ],
        "edges": [
            edge("t", "c"),
            edge("c", "gold", "yes"),
            edge("c", "end", "no"),
            edge("gold", "msg"),
        ],
    }
    _publish(session, wf, graph)
    member = _member(session, wf, "13900000001")
    record_sale(
        session,
        wf["admin"],
        SaleInput(member_id=member.id, store_id=wf["org"].stores["SH01"], amount_cents=60_000),
    )
    session.commit()
    # Advanced at the next noon, so the message is not held back by quiet hours whatever
    # the hour the suite runs at.
    go(session, dispatch_events(session), _next_noon())
    again = dispatch_events(session)  # the same events are not dispatched twice
    session.commit()
    assert again == []
    session.expire_all()
    assert session.get(Member, member.id).tier_id == wf["tiers"]["GOLD"].id
    assert len(_messages(session, member.id)) == 1
    run = session.exec(select(WorkflowRun)).one()
    assert run.status == RunStatus.COMPLETED
    assert [s.node_id for s in session.exec(select(StepExecution).order_by(StepExecution.seq))] == [
        "c",
        "gold",
        "msg",
    ]


def test_birthday_greeting_with_coupon_once_a_year(session, wf, monkeypatch):

    graph = chain(
        node("t", "trigger.birthday", days_before=0),
        node("coupon", "action.issue_coupon", template_id=wf["amount_off"].id),
        node("msg", "action.send_message", template_id=wf["greeting"].id),
    )
    _publish(session, wf, graph)
    birthday_member = _member(session, wf, "13900000002", birthday="1990-06-01")
    _member(session, wf, "13900000003", birthday="1990-06-02")
    for _ in range(2):  # the scheduler ticking twice on the same day
        go(session, fire_time_triggers(session, NOON), NOON)
    messages = _messages(session, birthday_member.id)
    assert len(messages) == 1
    coupon = session.exec(select(Coupon).where(Coupon.member_id == birthday_member.id)).one()
    assert coupon.code in messages[0].body and "生日快乐" in messages[0].body
    assert session.exec(select(func.count()).select_from(OutboxMessage)).one() == 1


def test_wait_pauses_the_run_and_it_continues_later(session, wf):
    graph = chain(
        node("t", "trigger.member_created"),
        node("w", "wait", amount=3, unit="days"),
        node("p", "action.grant_points", points=88),
    )
    _publish(session, wf, graph)
    member = _member(session, wf, "13900000004")
    go(session, dispatch_events(session))
    run = session.exec(select(WorkflowRun)).one()
    assert run.status == RunStatus.WAITING and points.balance_of(session, member.id) == 0
    go(session, [run.id], run.wake_at + timedelta(seconds=1))
    assert points.balance_of(session, member.id) == 88
    assert session.get(WorkflowRun, run.id).status == RunStatus.COMPLETED


def test_a_redelivered_batch_never_repeats_an_effect(session, wf):
    graph = chain(node("t", "trigger.member_created"), node("p", "action.grant_points", points=50))
    _publish(session, wf, graph)
    member = _member(session, wf, "13900000005")
    run_ids = dispatch_events(session)
    go(session, run_ids)
    go(session, run_ids)  # the same job delivered again
    assert points.balance_of(session, member.id) == 50
    assert (
        session.exec(
            select(func.count())
            .select_from(PointsEntry)
            .where(PointsEntry.cause_type == "workflow")
        ).one()
        == 1
    )


def test_editing_a_published_workflow_makes_a_new_version_runs_keep_theirs(session, wf):
    graph = chain(
        node("t", "trigger.member_created"),
        node("w", "wait", amount=1, unit="days"),
        node("p", "action.grant_points", points=10),
    )
    workflow = _publish(session, wf, graph)
    member = _member(session, wf, "13900000006")
    go(session, dispatch_events(session))
    bigger = chain(
        node("t", "trigger.member_created"),
        node("w", "wait", amount=1, unit="days"),
        node("p", "action.grant_points", points=999),
    )
    save_draft(session, wf["admin"], workflow.id, WorkflowInput(name="测试流程", graph=bigger))
    publish_workflow(session, wf["admin"], workflow.id)
    session.commit()
    run = session.exec(select(WorkflowRun)).one()
    assert run.version == 1
    go(session, [run.id], run.wake_at + timedelta(seconds=1))
    assert points.balance_of(session, member.id) == 10  # version 1's amount


def test_split_sends_members_down_branches_by_percentage(session, wf):
    graph = {
        "nodes": [
            node("t", "trigger.member_created"),
            node(
                "s", "split", branches=[{"name": "a", "percent": 30}, {"name": "b", "percent": 70}]
            ),
            node("ta", "action.add_tag", tag="A组"),
            node("tb", "action.add_tag", tag="B组"),
        ],
        "edges": [edge("t", "s"), edge("s", "ta", "a"), edge("s", "tb", "b")],
    }
    _publish(session, wf, graph)
    for i in range(200):
        create_member(
            session,
            wf["admin"],
            MemberInput(
                name=f"分流{i}", phone=f"1370000{i:04d}", home_store_id=wf["org"].stores["SH01"]
            ),
        )
    session.commit()
    go(session, dispatch_events(session))
    from backoffice.models import MemberTag

    a = session.exec(
        select(func.count()).select_from(MemberTag).where(MemberTag.tag == "A组")
    ).one()
    b = session.exec(
        select(func.count()).select_from(MemberTag).where(MemberTag.tag == "B组")
    ).one()
    assert a + b == 200 and 35 <= a <= 85


def test_dry_run_shows_the_path_and_message_without_effects(session, wf):
    graph = chain(
        node("t", "trigger.manual"),
        node("coupon", "action.issue_coupon", template_id=wf["amount_off"].id),
        node("p", "action.grant_points", points=100),
        node("msg", "action.send_message", template_id=wf["greeting"].id),
    )
    workflow = create_workflow(session, wf["admin"], WorkflowInput(name="试运行", graph=graph))
    member = _member(session, wf, "13900000007")
    result = dry_run_workflow(session, wf["admin"], workflow.id, member.id)
    session.commit()
    assert [s.node_id for s in result.path] == ["t", "coupon", "p", "msg"]
    assert result.messages and "生日快乐" in result.messages[0]
    assert points.balance_of(session, member.id) == 0
    assert session.exec(select(func.count()).select_from(Coupon)).one() == 0
    assert session.exec(select(func.count()).select_from(OutboxMessage)).one() == 0


def test_frequency_cap_and_consent_skip_marketing_messages(session, wf, monkeypatch):
    member = _member(session, wf, "13900000008")
    opted_out = _member(session, wf, "13900000009")
    set_consent(session, opted_out.id, "outbox", False)
    session.commit()
    for i in range(5):
        graph = chain(
            node("t", "trigger.manual"),
            node("msg", "action.send_message", template_id=wf["greeting"].id),
        )
        workflow = _publish(session, wf, graph)
        from backoffice.workflows.engine import start_runs

        ids = start_runs(session, workflow, [member.id, opted_out.id], f"manual:{i}", NOON)
        go(session, ids, NOON)
    statuses = [m.status for m in _messages(session, member.id)]
    assert statuses == [MessageStatus.SENT] * 3  # at most 3 marketing messages in 7 days
    assert _messages(session, opted_out.id) == []


def test_quiet_hours_delay_a_message_to_the_morning(session, wf):
    night = datetime(2026, 6, 1, 14, 30, tzinfo=UTC)  # 22:30 in Shanghai
    graph = chain(
        node("t", "trigger.manual"),
        node("msg", "action.send_message", template_id=wf["greeting"].id),
    )
    workflow = _publish(session, wf, graph)
    member = _member(session, wf, "13900000010")
    from backoffice.workflows.engine import start_runs

    ids = start_runs(session, workflow, [member.id], "manual:night", night)
    go(session, ids, night)
    run = session.get(WorkflowRun, ids[0])
    assert run.status == RunStatus.WAITING and _messages(session, member.id) == []
    assert run.wake_at == datetime(2026, 6, 2, 1, 0, tzinfo=UTC)  # 09:00 Shanghai
    go(session, ids, run.wake_at + timedelta(minutes=1))
    assert len(_messages(session, member.id)) == 1


def test_a_failing_step_retries_with_backoff_then_fails_and_staff_can_retry(session, wf):
    graph = chain(
        node("t", "trigger.manual"),
        node("hook", "action.call_webhook", url="http://127.0.0.1:9/nothing", secret="s"),
    )
    workflow = _publish(session, wf, graph)
    member = _member(session, wf, "13900000011")
    from backoffice.workflows.engine import start_runs

    ids = start_runs(session, workflow, [member.id], "manual:hook", NOON)
    clock = NOON
    for _ in range(3):
        go(session, ids, clock)
        run = session.get(WorkflowRun, ids[0])
        clock = (run.wake_at or clock) + timedelta(seconds=1)
    assert run.status == RunStatus.FAILED and "WebhookFailed" in run.error
    step = session.exec(select(StepExecution).where(StepExecution.run_id == ids[0])).one()
    assert step.attempt == 3 and step.status == "failed"
    retry_run(session, wf["admin"], ids[0])
    session.commit()
    session.expire_all()
    assert session.get(WorkflowRun, ids[0]).status == RunStatus.RUNNING


def test_a_webhook_is_called_with_no_database_lock_held(session, wf, engine):
    """The receiver takes its time; meanwhile the rest of the shop must be able to write (on
    SQLite one writer at a time: a call inside the wave's transaction blocked every sale)."""
    import sqlite3
    from http.server import BaseHTTPRequestHandler, HTTPServer
    from threading import Thread

    run_ids: list[int] = []

    def could_write() -> bool:
        if engine.dialect.name == "sqlite":
            db = sqlite3.connect(engine.url.database, timeout=0.2)
            try:
                db.execute("BEGIN IMMEDIATE")
                db.rollback()
                return True
            except sqlite3.OperationalError:
                return False
            finally:
                db.close()
        with engine.connect() as conn:  # PostgreSQL: the run's row lock
            try:
                conn.execute(
                    text("SELECT id FROM workflowrun WHERE id = :i FOR UPDATE NOWAIT"),
                    {"i": run_ids[0]},
                )
                return True
            except Exception:  # noqa: BLE001
                return False
            finally:
                conn.rollback()

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(200 if could_write() else 503)
            self.end_headers()

        def log_message(self, *_args) -> None:  # noqa: ANN002
            pass

    server = HTTPServer(("127.0.0.1", 0), Receiver)
    Thread(target=server.serve_forever, daemon=True).start()
    try:
        graph = chain(
            node("t", "trigger.manual"),
            node("hook", "action.call_webhook", url=f"http://127.0.0.1:{server.server_port}/"),
            node("p", "action.grant_points", points=5),
        )
        workflow = _publish(session, wf, graph)
        member = _member(session, wf, "13900000019")
        from backoffice.workflows.engine import start_runs

        run_ids.extend(start_runs(session, workflow, [member.id], "manual:lock", NOON))
        go(session, run_ids, NOON)
    finally:
        server.shutdown()
    run = session.get(WorkflowRun, run_ids[0])
    assert run.status == RunStatus.COMPLETED, run.error
    steps = session.exec(
        select(StepExecution).where(StepExecution.run_id == run.id).order_by(StepExecution.seq)
    ).all()
    assert [(s.node_id, s.output) for s in steps] == [
        ("hook", {"status": 200}),
        ("p", steps[1].output),
    ]
    # A second worker's late answer for the same step (the run has moved on): ignored.
    from backoffice.workflows.engine.waves import Call, WaveReport, apply_calls
    from backoffice.workflows.nodes import Outcome

    late = Call(run.id, 1, workflow.id, 1, "hook", "action.call_webhook", {})
    session.commit()
    assert (
        apply_calls(session, [(late, Outcome(output={"status": 201}))], NOON, WaveReport()) == set()
    )
    session.commit()
    assert len(session.exec(select(StepExecution).where(StepExecution.run_id == run.id)).all()) == 2


def test_franchise_owner_designs_only_for_their_stores(session, wf):
    owner = wf["org"].actors["owner"]
    hq = create_workflow(session, wf["admin"], WorkflowInput(name="总部活动"))
    mine = create_workflow(
        session, owner, WorkflowInput(name="门店活动", store_ids=[wf["org"].stores["SH01"]])
    )
    with pytest.raises(PermissionDenied):
        create_workflow(
            session, owner, WorkflowInput(name="越权", store_ids=[wf["org"].stores["GZ01"]])
        )
    with pytest.raises(PermissionDenied):
        create_workflow(session, owner, WorkflowInput(name="全部门店", store_ids=[]))
    assert [w.id for w in list_workflows(session, owner)] == [mine.id]
    with pytest.raises(NotFound):
        validate_workflow(session, owner, hq.id)
    with pytest.raises(PermissionDenied):
        create_workflow(session, wf["org"].actors["reception"], WorkflowInput(name="前台"))


def test_a_store_workflow_only_touches_its_stores_members(session, wf):
    graph = chain(node("t", "trigger.member_created"), node("p", "action.grant_points", points=5))
    _publish(session, wf, graph, store_ids=[wf["org"].stores["SH01"]])
    sh = _member(session, wf, "13900000012")
    gz = create_member(
        session,
        wf["admin"],
        MemberInput(name="广州", phone="13900000013", home_store_id=wf["org"].stores["GZ01"]),
    )
    session.commit()
    go(session, dispatch_events(session))
    assert points.balance_of(session, sh.id) == 5 and points.balance_of(session, gz.id) == 0


def test_custom_field_changed_trigger_fires_for_that_field_only(session, wf):
    graph = chain(
        node("t", "trigger.custom_field_changed", key="skin_type"),
        node("tag", "action.add_tag", tag="肤质更新"),
    )
    _publish(session, wf, graph)
    member = _member(session, wf, "13900000014")
    dispatch_events(session)
    session.commit()
    update_member(
        session,
        wf["admin"],
        member.id,
        MemberInput(
            name="测试",
            phone="13900000014",
            home_store_id=wf["org"].stores["SH01"],
            custom={"skin_type": "干性"},
        ),
    )
    session.commit()
    go(session, dispatch_events(session))
    from backoffice.services.members.profiles import member_tags

    assert member_tags(session, member.id) == ["肤质更新"]


def test_inactive_trigger_wins_back_each_quiet_spell_once(session, wf):
    graph = chain(node("t", "trigger.inactive", days=60), node("tag", "action.add_tag", tag="沉睡"))
    _publish(session, wf, graph)
    member = _member(session, wf, "13900000015")
    member.joined_at = NOON - timedelta(days=90)
    session.add(member)
    session.commit()
    later = datetime.now(UTC) + timedelta(days=100)
    first = fire_time_triggers(session, later)
    second = fire_time_triggers(session, later)
    session.commit()
    assert len(first) == 1 and second == []


def test_dry_run_on_a_sample_of_a_segment(session, wf):
    from backoffice.workflows.campaigns.lifecycle import SegmentInput, dry_run_sample, save_segment

    for i in range(15):
        _member(session, wf, f"1390001{i:04d}")
    segment = save_segment(
        session,
        wf["admin"],
        SegmentInput(
            name="全部",
            condition={
                "match": "all",
                "rules": [{"kind": "field", "field": "status", "op": "eq", "value": "active"}],
            },
        ),
    )
    graph = chain(
        node("t", "trigger.manual", segment_id=segment.id),
        node("msg", "action.send_message", template_id=wf["greeting"].id),
    )
    workflow = create_workflow(session, wf["admin"], WorkflowInput(name="抽样", graph=graph))
    results = dry_run_sample(session, wf["admin"], workflow.id, segment.id, size=10)
    session.commit()
    assert len(results) == 10 and len({r.member_id for r in results}) == 10
    assert all(r.messages for r in results)
    assert session.exec(select(func.count()).select_from(OutboxMessage)).one() == 0


def test_the_executor_names_the_job_that_advances_runs():
    from backoffice.workflows import jobs
    from backoffice.workflows.executor import ADVANCE_RUNS

    assert f"{jobs.advance_runs.__module__}.{jobs.advance_runs.__name__}" == ADVANCE_RUNS


def test_a_queued_job_that_no_queue_holds_counts_as_lost():
    from datetime import UTC, datetime, timedelta

    from rq.job import JobStatus

    from backoffice.workflows.scheduler import job_lost

    now = datetime(2026, 3, 4, 2, 30, tzinfo=UTC)

    class Taken:  # a worker took it off the queue, then died before starting it
        id = "runs-1"
        enqueued_at = now - timedelta(minutes=2)
        created_at = enqueued_at

        def get_status(self, refresh: bool = True) -> JobStatus:
            return JobStatus.QUEUED

    assert job_lost(Taken(), now, waiting=set())  # type: ignore[arg-type]
    assert not job_lost(Taken(), now, waiting={"runs-1"})  # type: ignore[arg-type]
    Taken.enqueued_at = now - timedelta(seconds=5)  # just moved: give it time
    assert not job_lost(Taken(), now, waiting=set())  # type: ignore[arg-type]
    assert job_lost(None, now)
