"""The workflow engine on real RQ worker processes and a real Redis and database.

A birthday greeting and a sale-triggered tier upgrade each deliver exactly one message;
a worker killed with SIGKILL in the middle of a 5,000-member campaign, then replaced,
still leaves exactly one message per member; a failing webhook retries, then shows failed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from threading import Thread
from zoneinfo import ZoneInfo

import pytest
from rq import Queue
from rq.registry import StartedJobRegistry
from sqlalchemy import text
from sqlmodel import Session, func, select

from backoffice.demo import admin_actor, seed_org
from backoffice.models import (
    Member,
    OutboxMessage,
    PointsEntry,
    RunStatus,
    StepExecution,
    WorkflowRun,
)
from backoffice.models.base import utcnow
from backoffice.services.loyalty.sales import SaleInput, record_sale
from backoffice.services.loyalty.tiers import TierInput, create_tier
from backoffice.services.members.profiles import MemberInput, create_member
from backoffice.services.messaging.messages import TemplateInput, create_template
from backoffice.workflows import jobs, scheduler
from backoffice.workflows.campaigns.lifecycle import (
    WorkflowInput,
    create_workflow,
    publish_workflow,
    run_now,
)
from backoffice.workflows.executor import RQExecutor
from tests.clock import clock_env, clocked_command
from tests.integration.conftest import ROOT, run_worker_burst
from tests.integration.processes import kill_tree
from tests.unit.workflow_fixtures import chain, edge, node

pytestmark = pytest.mark.integration


def _env(engine, redis_url: str, tmp_path) -> dict[str, str]:  # noqa: ANN001
    return dict(
        os.environ,
        DATABASE_URL=engine.url.render_as_string(hide_password=False),
        REDIS_URL=redis_url,
        DATA_DIR=str(tmp_path),
        WORKFLOW_RETRY_SECONDS="1,1,1",
        QUIET_START_HOUR="0",
        QUIET_END_HOUR="0",
        MARKETING_CAP="100",
        WORKFLOW_BATCH="100",
    )


def _worker(env: dict[str, str], burst: bool = False) -> subprocess.Popen:
    args = clocked_command("backoffice.cli", "worker", *(["--burst"] if burst else []))
    return subprocess.Popen(
        args,
        cwd=ROOT,
        env=clock_env(env),
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _stop(proc: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, sig)
        proc.wait(timeout=60)


def _wait_for(check, timeout: float = 120) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.3)
    raise AssertionError("timed out waiting for the workers")


@pytest.fixture
def world(engine, redis, redis_url, tmp_path, monkeypatch):
    """HQ admin, tiers, a template; the test process talks to the same Redis as the workers."""
    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.setenv("QUIET_START_HOUR", "0")
    monkeypatch.setenv("QUIET_END_HOUR", "0")
    monkeypatch.setenv("WORKFLOW_BATCH", "100")
    # The test process submits and ticks too: its engine is the test's database.
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    from backoffice.db import get_engine
    from backoffice.settings import get_settings

    get_settings.cache_clear()
    get_engine.cache_clear()
    monkeypatch.setattr(jobs, "_shared", None)
    with Session(engine, expire_on_commit=False) as session:
        stores = seed_org(session)
        admin = admin_actor(session)
        create_tier(session, admin, TierInput(code="BASIC", name="普通", rank=0))
        create_tier(session, admin, TierInput(code="GOLD", name="金卡", rank=1, threshold=10**9))
        template = create_template(
            session, admin, TemplateInput(name="通知", body="{{member.name}} 您好", marketing=False)
        )
        session.commit()
    yield {
        "engine": engine,
        "redis": redis,
        "env": _env(engine, redis_url, tmp_path),
        "stores": stores,
        "admin": admin,
        "template": template.id,
    }
    get_settings.cache_clear()
    get_engine.cache_clear()


def _count(engine, model, *where) -> int:  # noqa: ANN001
    with Session(engine) as session:
        return int(session.exec(select(func.count()).select_from(model).where(*where)).one())


def test_birthday_greeting_delivers_exactly_one_message(world):
    engine = world["engine"]
    today = datetime.now(UTC).astimezone(ZoneInfo("Asia/Shanghai")).date()
    with Session(engine, expire_on_commit=False) as session:
        member = create_member(
            session,
            world["admin"],
            MemberInput(
                name="寿星",
                phone="13911110001",
                home_store_id=world["stores"]["SH01"],
                birthday=today.replace(year=1990).isoformat(),
            ),
        )
        workflow = create_workflow(
            session,
            world["admin"],
            WorkflowInput(
                name="生日祝福",
                graph=chain(
                    node("t", "trigger.birthday"),
                    node("m", "action.send_message", template_id=world["template"]),
                ),
            ),
        )
        publish_workflow(session, world["admin"], workflow.id)
        session.commit()
    queue = Queue("default", connection=world["redis"])
    queue.enqueue(scheduler.tick_job)
    queue.enqueue(scheduler.tick_job)  # a second tick the same day starts nobody again
    worker = _worker(world["env"])
    try:
        _wait_for(
            lambda: _count(engine, WorkflowRun, WorkflowRun.status == RunStatus.COMPLETED) >= 1
        )
        time.sleep(2)
    finally:
        _stop(worker)
    assert _count(engine, OutboxMessage, OutboxMessage.member_id == member.id) == 1


def test_sale_triggered_tier_upgrade_delivers_one_message(world):
    engine = world["engine"]
    with Session(engine, expire_on_commit=False) as session:
        member = create_member(
            session,
            world["admin"],
            MemberInput(name="大客户", phone="13911110002", home_store_id=world["stores"]["SH01"]),
        )
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
                                "value": 500_000,
                                "days": 90,
                            }
                        ],
                    },
                ),
                node("up", "action.set_tier", tier_code="GOLD"),
                node("m", "action.send_message", template_id=world["template"]),
                node("end", "stop"),
            ],
            "edges": [
                edge("t", "c"),
                edge("c", "up", "yes"),
                edge("c", "end", "no"),
                edge("up", "m"),
            ],
        }
        workflow = create_workflow(session, world["admin"], WorkflowInput(name="升级", graph=graph))
        publish_workflow(session, world["admin"], workflow.id)
        session.commit()
    worker = _worker(world["env"])
    try:
        with Session(engine) as session:  # the commit wakes the dispatcher through Redis
            record_sale(
                session,
                world["admin"],
                SaleInput(
                    member_id=member.id, store_id=world["stores"]["SH01"], amount_cents=600_000
                ),
            )
            session.commit()
        _wait_for(lambda: _count(engine, OutboxMessage, OutboxMessage.member_id == member.id))
        time.sleep(1.5)
    finally:
        _stop(worker)
    assert _count(engine, OutboxMessage, OutboxMessage.member_id == member.id) == 1
    with Session(engine) as session:
        assert session.get(Member, member.id).tier_id is not None


def _campaign(world, members: int, prefix: str) -> list[int]:  # noqa: ANN001
    """`members` active members and a published condition → points → message campaign,
    started: its run ids."""
    with Session(world["engine"], expire_on_commit=False) as session:
        now = datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ")
        session.execute(
            text(
                "INSERT INTO member (member_no, name, phone, phone_tail, gender, email, "
                "home_store_id, joined_at, status, status_reason, notes, custom, updated_at) "
                "VALUES (:no, :name, :phone, :tail, 'UNKNOWN', '', :store, :now, 'ACTIVE', '', '', "
                "'{}', :now)"
            ),
            [
                {
                    "no": f"{prefix}{i:08d}",
                    "name": f"会员{i}",
                    "phone": f"+86137{i:08d}",
                    "tail": f"{i:04d}"[-4:],
                    "store": world["stores"]["SH01"],
                    "now": now,
                }
                for i in range(members)
            ],
        )
        graph = chain(
            node("t", "trigger.manual"),
            node(
                "c",
                "condition",
                condition={
                    "match": "all",
                    "rules": [{"kind": "field", "field": "status", "op": "eq", "value": "active"}],
                },
            ),
            node("p", "action.grant_points", points=10),
            node("m", "action.send_message", template_id=world["template"]),
        )
        graph["edges"] = [edge("t", "c"), edge("c", "p", "yes"), edge("p", "m")]
        graph["nodes"].append(node("no", "stop"))
        graph["edges"].append(edge("c", "no", "no"))
        workflow = create_workflow(session, world["admin"], WorkflowInput(name="全员", graph=graph))
        publish_workflow(session, world["admin"], workflow.id)
        run_ids = run_now(session, world["admin"], workflow.id)
        session.commit()
    assert len(run_ids) == members
    return run_ids


def _kill_mid_campaign_then_finish(world, env, members: int, batch: int) -> None:  # noqa: ANN001
    """A worker's whole process tree is SIGKILLed while a batch is in its work horse; the
    scheduler's tick re-queues that batch and a second worker finishes the campaign."""
    engine = world["engine"]
    first = _worker(env)
    _wait_for(lambda: _count(engine, OutboxMessage) >= batch, timeout=300)
    started = StartedJobRegistry("default", connection=world["redis"])
    _wait_for(lambda: bool(started.get_job_ids()), timeout=60)  # a batch is in a work horse
    kill_tree(first)  # mid-campaign: the worker and its work horse, as an OOM kill does
    assert _count(engine, OutboxMessage) < members
    # The scheduler's tick a little later sees the killed batch's job silent: its runs go
    # back to the queue (the rest of the campaign's jobs are still queued, untouched).
    recovered = scheduler.run_tick(utcnow() + timedelta(minutes=2), world["redis"])
    assert recovered["recovered"] <= batch  # at most the one batch in flight
    second = _worker(env)
    try:
        _wait_for(
            lambda: (
                _count(
                    engine,
                    WorkflowRun,
                    WorkflowRun.status.in_(  # type: ignore[attr-defined]
                        [RunStatus.RUNNING, RunStatus.WAITING]
                    ),
                )
                == 0
            ),
            timeout=900,
        )
    finally:
        _stop(second)


def _assert_one_message_and_one_entry_each(engine, members: int) -> None:  # noqa: ANN001
    with Session(engine) as session:
        for model, where in (
            (OutboxMessage, []),
            (PointsEntry, [PointsEntry.cause_type == "workflow"]),
        ):
            per_member = (
                select(model.member_id, func.count().label("n"))
                .where(*where)
                .group_by(model.member_id)
                .subquery()
            )
            got = session.exec(
                select(func.count(), func.min(per_member.c.n), func.max(per_member.c.n))
            ).one()
            assert tuple(got) == (members, 1, 1), model.__name__  # everyone, exactly once


def test_sigkill_mid_campaign_still_leaves_one_message_per_member(world):
    run_ids = _campaign(world, 5000, "K")
    RQExecutor(world["redis"]).submit(run_ids)  # 50 jobs of 100 runs (WORKFLOW_BATCH)
    _kill_mid_campaign_then_finish(world, world["env"], 5000, batch=100)
    _assert_one_message_and_one_entry_each(world["engine"], 5000)


def test_sigkill_mid_set_based_batch_of_20000(world, monkeypatch):
    """The set-based path: batches of 1,000 runs, each node one set of statements for the
    batch; a kill mid-batch rolls the whole wave back, the re-run finds nothing done twice."""
    from backoffice.settings import get_settings

    monkeypatch.setenv("WORKFLOW_BATCH", "1000")
    get_settings.cache_clear()
    run_ids = _campaign(world, 20_000, "S")
    RQExecutor(world["redis"]).submit(run_ids)  # 20 jobs of 1,000 runs
    env = dict(world["env"], WORKFLOW_BATCH="1000")
    _kill_mid_campaign_then_finish(world, env, 20_000, batch=1000)
    _assert_one_message_and_one_entry_each(world["engine"], 20_000)


class _Failing(BaseHTTPRequestHandler):
    calls = 0

    def do_POST(self) -> None:  # noqa: N802
        type(self).calls += 1
        self.send_response(503)
        self.end_headers()
        self.wfile.write(b"busy")

    def log_message(self, *args) -> None:  # noqa: ANN002
        return


def test_failing_webhook_retries_then_shows_failed_with_its_error(world):
    server = HTTPServer(("127.0.0.1", 0), _Failing)
    Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/hook"
    engine = world["engine"]
    with Session(engine, expire_on_commit=False) as session:
        create_member(
            session,
            world["admin"],
            MemberInput(name="钩子", phone="13911110003", home_store_id=world["stores"]["SH01"]),
        )
        workflow = create_workflow(
            session,
            world["admin"],
            WorkflowInput(
                name="Webhook",
                graph=chain(
                    node("t", "trigger.manual"),
                    node("h", "action.call_webhook", url=url, secret="k"),
                ),
            ),
        )
        publish_workflow(session, world["admin"], workflow.id)
        run_ids = run_now(session, world["admin"], workflow.id)
        session.commit()
    RQExecutor(world["redis"]).submit(run_ids)
    worker = _worker(world["env"])
    try:
        _wait_for(
            lambda: _count(engine, WorkflowRun, WorkflowRun.status == RunStatus.FAILED) == 1,
            timeout=120,
        )
    finally:
        _stop(worker)
        server.shutdown()
    with Session(engine) as session:
        step = session.exec(select(StepExecution)).one()
        run = session.exec(select(WorkflowRun)).one()
    assert step.status == "failed" and step.attempt == 3 and "HTTP 503" in step.error
    assert "HTTP 503" in run.error and _Failing.calls == 3


def test_a_burst_of_sales_wakes_one_dispatch_job_that_dispatches_them_all(world):
    """Each commit that emits events wakes the dispatcher; while a dispatch job waits in the
    queue, further wakes add nothing, and that one job still dispatches every event."""
    from backoffice.models import DomainEvent

    engine, queue = world["engine"], Queue("default", connection=world["redis"])
    with Session(engine, expire_on_commit=False) as session:
        member = create_member(
            session,
            world["admin"],
            MemberInput(name="常客", phone="13911110003", home_store_id=world["stores"]["SH01"]),
        )
        session.commit()

    def sale() -> None:
        with Session(engine) as session:
            record_sale(
                session,
                world["admin"],
                SaleInput(member_id=member.id, store_id=world["stores"]["SH01"], amount_cents=100),
            )
            session.commit()

    def dispatch_jobs() -> int:
        return sum(1 for j in queue.get_jobs() if j.func_name.endswith("dispatch_events"))

    for _ in range(20):
        sale()
    assert dispatch_jobs() == 1
    env = world["env"]
    run_worker_burst(env["DATABASE_URL"], env["REDIS_URL"], Path(env["DATA_DIR"]))
    with Session(engine) as session:
        waiting = session.exec(
            select(func.count()).select_from(DomainEvent).where(DomainEvent.dispatched_at == None)  # noqa: E711
        ).one()
    assert waiting == 0
    assert dispatch_jobs() == 0
    sale()  # the job cleared the flag as it started: the next sale wakes a new one
    assert dispatch_jobs() == 1
