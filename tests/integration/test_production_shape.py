"""The production shape as separate processes, as the README lists them: `backoffice
migrate`, one `backoffice scheduler`, two `backoffice worker` and the REST API (granian
serving backoffice.api), all on the database and Redis of the run (CI: PostgreSQL and a
Redis server).

It proves: a per-minute schedule fires every minute; a worker killed with its whole
process tree mid-campaign loses and doubles nothing (the scheduler re-queues its batch);
after the scheduler was down for three minutes the missed minutes fire once each; a
birthday campaign sends once. The processes run on the suite's clock (tests/clocked.py);
"three minutes later" is a scheduler started with its clock three minutes on.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
import time_machine
from sqlalchemy import text
from sqlmodel import Session, col, func, select

from backoffice.demo import admin_actor, seed_org
from backoffice.models import OutboxMessage, PointsEntry, RunStatus, WorkflowRun
from backoffice.models.base import utcnow
from backoffice.services.members.profiles import MemberInput, create_member
from backoffice.services.messaging.messages import TemplateInput, create_template
from backoffice.services.org.api_keys import ApiKeyInput, create_api_key
from backoffice.workflows.campaigns.lifecycle import (
    WorkflowInput,
    create_workflow,
    publish_workflow,
)
from tests.integration.conftest import ROOT
from tests.integration.processes import free_port, kill_tree, spawn, stop, wait_for
from tests.unit.workflow_fixtures import chain, edge, node

pytestmark = pytest.mark.integration
CAMPAIGN = 3000  # members of the manual campaign


def _scalar(engine, stmt) -> int:  # noqa: ANN001
    with Session(engine) as session:
        return int(session.exec(stmt).one())


def _schedule_minutes(engine, workflow_id: int) -> list[str]:  # noqa: ANN001
    with Session(engine) as session:
        return sorted(
            session.exec(
                select(WorkflowRun.trigger_key)
                .where(WorkflowRun.workflow_id == workflow_id)
                .distinct()
            ).all()
        )


def _seed(engine) -> dict:  # noqa: ANN001
    today = datetime.now(UTC).astimezone(ZoneInfo("Asia/Shanghai")).date()
    with Session(engine, expire_on_commit=False) as session:
        stores = seed_org(session)
        admin = admin_actor(session)
        birthday = create_member(
            session,
            admin,
            MemberInput(
                name="寿星",
                phone="13700009999",
                home_store_id=stores["SH01"],
                birthday=today.replace(year=1992).isoformat(),
            ),
        )
        now = utcnow()
        session.execute(
            text(
                "INSERT INTO member (member_no, name, phone, phone_tail, gender, email, "
                "home_store_id, joined_at, status, status_reason, notes, custom, updated_at) "
                "VALUES (:no, :name, :phone, :tail, 'UNKNOWN', '', :store, :now, 'ACTIVE', '', "
                "'', '{}', :now)"
            ),
            [
                {
                    "no": f"P{i:08d}",
                    "name": f"会员{i}",
                    "phone": f"+86136{i:08d}",
                    "tail": f"{i:04d}"[-4:],
                    "store": stores["SH01"],
                    "now": now,
                }
                for i in range(CAMPAIGN - 1)
            ],
        )
        note = create_template(
            session, admin, TemplateInput(name="通知", body="{{member.name}} 您好", marketing=False)
        )
        every_minute = create_workflow(
            session,
            admin,
            WorkflowInput(
                name="每分钟",
                graph=chain(
                    node("t", "trigger.schedule", cron="* * * * *", segment_id=None),
                    node("s", "stop"),
                ),
            ),
        )
        greeting = create_workflow(
            session,
            admin,
            WorkflowInput(
                name="生日",
                graph=chain(
                    node("t", "trigger.birthday"),
                    node("m", "action.send_message", template_id=note.id),
                ),
            ),
        )
        graph = chain(
            node("t", "trigger.manual"),
            node("p", "action.grant_points", points=10),
            node("m", "action.send_message", template_id=note.id),
        )
        graph["edges"] = [edge("t", "p"), edge("p", "m")]
        campaign = create_workflow(session, admin, WorkflowInput(name="全员", graph=graph))
        for workflow in (every_minute, greeting, campaign):
            publish_workflow(session, admin, workflow.id)
        key = create_api_key(
            session, admin, ApiKeyInput(name="ops", permissions=["workflows.design"])
        )
        session.commit()
    return {
        "every_minute": every_minute.id,
        "greeting": greeting.id,
        "campaign": campaign.id,
        "birthday_member": birthday.id,
        "token": key.token,
    }


def test_the_production_shape_keeps_time_and_loses_nothing(
    engine, redis, redis_url, tmp_path, clock
):
    # The web server's own worker processes cannot be put on the suite's clock: this test
    # runs on the real one, and only "three minutes later" is a clock of its own.
    clock.move_to(time_machine.escape_hatch.datetime.datetime.now(UTC))
    url = engine.url.render_as_string(hide_password=False)
    env = dict(
        os.environ,
        DATABASE_URL=url,
        REDIS_URL=redis_url,
        DATA_DIR=str(tmp_path),
        QUIET_START_HOUR="0",
        QUIET_END_HOUR="0",
        WORKFLOW_BATCH="300",
    )
    migrate = subprocess.run(
        [sys.executable, "-m", "backoffice.cli", "migrate"], cwd=ROOT, env=env, timeout=300
    )
    assert migrate.returncode == 0
    ids = _seed(engine)
    port = free_port()
    procs = {
        "scheduler": spawn(env, "backoffice.cli", "scheduler"),
        "worker1": spawn(env, "backoffice.cli", "worker"),
        "worker2": spawn(env, "backoffice.cli", "worker"),
        "api": spawn(
            env,
            "granian",
            "--interface",
            "asgi",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "backoffice.api:create_app",
        ),
    }
    try:
        # 1. the per-minute schedule fires in each of two consecutive minutes
        wait_for(
            lambda: len(_schedule_minutes(engine, ids["every_minute"])) >= 2,
            150,
            "two minutes of the per-minute schedule",
        )
        # 2. a campaign started through the API; a worker killed mid-campaign, horse and all
        api = f"http://127.0.0.1:{port}/api/v1"
        wait_for(lambda: _up(api), 60, "the API")
        started = httpx.post(
            f"{api}/workflows/{ids['campaign']}/runs",
            headers={"Authorization": f"Bearer {ids['token']}"},
            timeout=60,
        )
        assert started.status_code == 201, started.text
        assert started.json()["runs_started"] == CAMPAIGN
        messages = select(func.count()).select_from(OutboxMessage)
        wait_for(lambda: _scalar(engine, messages) >= 300, 120, "the campaign's first batch")
        kill_tree(procs["worker1"])
        procs["worker1"] = spawn(env, "backoffice.cli", "worker")
        done = (
            select(func.count())
            .select_from(WorkflowRun)
            .where(
                WorkflowRun.workflow_id == ids["campaign"],
                col(WorkflowRun.status) == RunStatus.COMPLETED,
            )
        )
        wait_for(lambda: _scalar(engine, done) == CAMPAIGN, 180, "every campaign run completed")
        with Session(engine) as session:
            per_member = session.exec(
                select(OutboxMessage.member_id, func.count())
                .join(WorkflowRun, col(WorkflowRun.id) == OutboxMessage.run_id)
                .where(WorkflowRun.workflow_id == ids["campaign"])
                .group_by(OutboxMessage.member_id)
            ).all()
            grants = session.exec(
                select(PointsEntry.member_id, func.count())
                .where(PointsEntry.cause_type == "workflow")
                .group_by(PointsEntry.member_id)
            ).all()
        assert len(per_member) == CAMPAIGN and {n for _m, n in per_member} == {1}
        assert len(grants) == CAMPAIGN and {n for _m, n in grants} == {1}
        # 3. the scheduler down for three minutes: the missed minutes fire once each
        stop(procs["scheduler"])
        before = _schedule_minutes(engine, ids["every_minute"])
        later = datetime.now(UTC) + timedelta(minutes=3)
        for name in ("worker1", "worker2"):  # the whole shape moves on three minutes
            stop(procs[name])
            procs[name] = spawn(env, "backoffice.cli", "worker", start=later)
        procs["scheduler"] = spawn(env, "backoffice.cli", "scheduler", start=later)
        wait_for(
            lambda: len(_schedule_minutes(engine, ids["every_minute"])) >= len(before) + 3,
            90,
            "the missed minutes",
        )
        after = _schedule_minutes(engine, ids["every_minute"])
        with Session(engine) as session:
            runs = session.exec(
                select(func.count())
                .select_from(WorkflowRun)
                .where(WorkflowRun.workflow_id == ids["every_minute"])
            ).one()
        assert runs == len(after) * CAMPAIGN  # each minute once for each member, never twice
        assert len(after) - len(before) in (3, 4)  # 3 missed (+ the current one)
        # 4. the birthday greeting, over all those ticks and restarts: once
        greetings = (
            select(func.count())
            .select_from(WorkflowRun)
            .where(WorkflowRun.workflow_id == ids["greeting"])
        )
        assert _scalar(engine, greetings) == 1
        sent = (
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.member_id == ids["birthday_member"])
        )
        wait_for(lambda: _scalar(engine, sent) >= 2, 60, "the birthday message")
        assert _scalar(engine, sent) == 2  # the campaign's message and the greeting
    finally:
        for proc in procs.values():
            stop(proc)


def _up(api: str) -> bool:
    try:
        return httpx.get(f"{api}/openapi.json", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False
