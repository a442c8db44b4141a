"""SMS delivery with two real worker processes and a local HTTP gateway that counts what it
receives: each member's message reaches the gateway once, also when the gateway fails for
a while; a message the gateway refuses (4xx) ends as failed with its reason.

2,000 members on PostgreSQL (CI's server pass), 400 on the embedded SQLite default.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import text
from sqlmodel import Session, func, select

from backoffice.db import get_engine
from backoffice.demo import admin_actor, seed_org
from backoffice.models import MessageStatus, OutboxMessage
from backoffice.models.base import utcnow
from backoffice.services.messaging.messages import TemplateInput, create_template
from backoffice.settings import get_settings
from backoffice.workflows.campaigns.lifecycle import (
    WorkflowInput,
    create_workflow,
    publish_workflow,
    run_now,
)
from backoffice.workflows.executor import RQExecutor
from tests.clock import clock_env, clocked_command
from tests.integration.conftest import ROOT
from tests.unit.workflow_fixtures import chain, node

pytestmark = pytest.mark.integration
REFUSED = "+8613900000007"  # the gateway answers 400 for this number


class Gateway(BaseHTTPRequestHandler):
    received: Counter[str] = Counter()  # successful deliveries per number
    requests = 0
    down_until = 0.0  # answer 503 until this monotonic time
    lock = threading.Lock()

    def do_POST(self) -> None:  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with type(self).lock:
            type(self).requests += 1
            if time.monotonic() < type(self).down_until:
                code = 503
            elif body["to"] == REFUSED:
                code = 400
            else:
                code = 200
                type(self).received[body["to"]] += 1
        self.send_response(code)
        self.end_headers()
        self.wfile.write(b"invalid number" if code == 400 else b"ok")

    def log_message(self, *args) -> None:  # noqa: ANN002
        return


@pytest.fixture
def campaign(engine, redis, redis_url, tmp_path, monkeypatch):
    server = ThreadingHTTPServer(("127.0.0.1", 0), Gateway)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    Gateway.received, Gateway.requests, Gateway.down_until = Counter(), 0, 0.0
    url = engine.url.render_as_string(hide_password=False)
    env = dict(
        os.environ,
        DATABASE_URL=url,
        REDIS_URL=redis_url,
        DATA_DIR=str(tmp_path),
        QUIET_START_HOUR="0",
        QUIET_END_HOUR="0",
        WORKFLOW_BATCH="200",
        SMS_GATEWAY_URL=f"http://127.0.0.1:{server.server_port}/sms",
        SMS_PER_SECOND="5000",
        MESSAGE_RETRY_SECONDS="1,2,4,8,15,30",
    )
    for key in ("DATABASE_URL", "REDIS_URL", "QUIET_START_HOUR", "QUIET_END_HOUR"):
        monkeypatch.setenv(key, env[key])
    get_settings.cache_clear()
    get_engine.cache_clear()
    members = 2000 if engine.dialect.name == "postgresql" else 400
    with Session(engine, expire_on_commit=False) as session:
        stores = seed_org(session)
        admin = admin_actor(session)
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
                    "no": f"S{i:08d}",
                    "name": f"会员{i}",
                    "phone": f"+86139{i:08d}",
                    "tail": f"{i:04d}"[-4:],
                    "store": stores["SH01"],
                    "now": now,
                }
                for i in range(members)
            ],
        )
        template = create_template(
            session,
            admin,
            TemplateInput(name="通知", channel="sms", body="{{member.name}} 您好", marketing=False),
        )
        workflow = create_workflow(
            session,
            admin,
            WorkflowInput(
                name="短信",
                graph=chain(
                    node("t", "trigger.manual"),
                    node("m", "action.send_message", template_id=template.id),
                ),
            ),
        )
        publish_workflow(session, admin, workflow.id)
        run_ids = run_now(session, admin, workflow.id)
        session.commit()
    yield {"engine": engine, "redis": redis, "env": env, "runs": run_ids, "members": members}
    server.shutdown()
    get_settings.cache_clear()
    get_engine.cache_clear()


def _workers(env: dict[str, str], count: int = 2) -> list[subprocess.Popen]:
    return [
        subprocess.Popen(
            clocked_command("backoffice.cli", "worker"),
            cwd=ROOT,
            env=clock_env(env),
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(count)
    ]


def _statuses(engine) -> dict[str, int]:  # noqa: ANN001
    with Session(engine) as session:
        rows = session.exec(
            select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
        ).all()
    return {str(status): int(n) for status, n in rows}


def _settled(engine, members: int) -> bool:  # noqa: ANN001
    counts = _statuses(engine)
    done = counts.get(MessageStatus.SENT, 0) + counts.get(MessageStatus.FAILED, 0)
    return done == members


def _run(campaign: dict, timeout: float = 240) -> None:
    workers = _workers(campaign["env"])
    try:
        RQExecutor(campaign["redis"]).submit(campaign["runs"])
        deadline = time.monotonic() + timeout
        while not _settled(campaign["engine"], campaign["members"]):
            assert time.monotonic() < deadline, _statuses(campaign["engine"])
            time.sleep(0.5)
    finally:
        for proc in workers:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=60)


def _refused_reason(engine) -> tuple[str, str]:  # noqa: ANN001
    with Session(engine) as session:
        row = session.exec(select(OutboxMessage).where(OutboxMessage.to == REFUSED)).one()
        return str(row.status), row.error


def test_two_workers_send_each_member_exactly_one_sms(campaign):
    _run(campaign)
    members = campaign["members"]
    assert Gateway.requests == members  # one request per member: none doubled, none dropped
    assert len(Gateway.received) == members - 1
    assert set(Gateway.received.values()) == {1}
    assert _refused_reason(campaign["engine"]) == (MessageStatus.FAILED, "HTTP 400: invalid number")
    assert _statuses(campaign["engine"]) == {
        MessageStatus.SENT: members - 1,
        MessageStatus.FAILED: 1,
    }


def test_a_gateway_that_fails_for_a_while_still_gets_each_message_once(campaign):
    Gateway.down_until = time.monotonic() + 20  # 503s for 20 s: every attempt until then fails
    _run(campaign)
    members = campaign["members"]
    assert len(Gateway.received) == members - 1
    assert set(Gateway.received.values()) == {1}  # retried, never delivered twice
    assert Gateway.requests > members  # the failed attempts came first
    assert _statuses(campaign["engine"])[MessageStatus.SENT] == members - 1
