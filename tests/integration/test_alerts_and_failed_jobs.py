"""Against a real Redis and real worker processes: a failed job retried and discarded from
the operations use cases (audited), and the silent-scheduler alert raised by a worker (the
scheduler cannot report its own silence), announced once to the configured webhook."""

from __future__ import annotations

import json
import os
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from rq import Queue
from rq.registry import FailedJobRegistry
from sqlmodel import Session

from backoffice.models import OperationsAlert
from backoffice.services.org.access import load_actor
from backoffice.workflows.failed_jobs import (
    discard_failed_job,
    recent_failed_jobs,
    retry_failed_job,
)
from backoffice.workflows.scheduler import Scheduler
from tests.integration.conftest import run_worker_burst
from tests.integration.processes import spawn, stop, wait_for
from tests.unit.foundation_fixtures import last_audit

pytestmark = pytest.mark.integration


def _admin(session: Session):  # noqa: ANN202
    from sqlmodel import select

    from backoffice.demo import seed_org
    from backoffice.models import Staff

    seed_org(session)
    session.commit()
    staff = session.exec(select(Staff).where(Staff.username == "admin")).one()
    return load_actor(session, staff)


def test_a_failed_job_is_retried_then_runs_again_and_another_is_discarded(
    process_db, redis, redis_url, tmp_path: Path
):
    marker = tmp_path / "marker"
    queue = Queue("default", connection=redis)
    # os.remove of a missing file raises: the job fails; once the file exists it succeeds.
    failing = queue.enqueue("os.remove", str(marker), job_id="needs-marker")
    doomed = queue.enqueue("os.remove", str(tmp_path / "never"), job_id="never-works")
    db_url = process_db.url.render_as_string(hide_password=False)
    run_worker_burst(db_url, redis_url, tmp_path)
    failed = {j.id: j for j in recent_failed_jobs(redis)}
    assert set(failed) == {failing.id, doomed.id}
    assert "FileNotFoundError" in failed[failing.id].error

    with Session(process_db) as session:
        admin = _admin(session)
        marker.write_text("now it works")
        assert retry_failed_job(session, admin, redis, failing.id) == "default"
        discard_failed_job(session, admin, redis, doomed.id)
        session.commit()
        assert last_audit(session, "operations.job_retried").target_id == failing.id
        assert last_audit(session, "operations.job_discarded").target_id == doomed.id
    run_worker_burst(db_url, redis_url, tmp_path)
    assert not marker.exists()  # the retried job really ran again, and succeeded
    assert len(FailedJobRegistry("default", connection=redis)) == 0
    assert queue.fetch_job(doomed.id) is None  # discarded: gone from Redis


class _Receiver(BaseHTTPRequestHandler):
    received: list[dict] = []

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Receiver.received.append(json.loads(body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *_args: object) -> None:
        pass


def test_a_worker_raises_the_silent_scheduler_alert_once_and_closes_it(
    process_db, redis, redis_url, tmp_path: Path
):
    _Receiver.received = []
    server = HTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    long_ago = datetime(2026, 3, 4, 1, 0, tzinfo=UTC)  # the suite's clock is 02:30 UTC
    clock = [long_ago]
    scheduler = Scheduler(redis, process_db, clock=lambda: clock[0])
    scheduler.one_pass()  # its last beat, long ago
    env = dict(
        os.environ,
        DATABASE_URL=process_db.url.render_as_string(hide_password=False),
        REDIS_URL=redis_url,
        DATA_DIR=str(tmp_path),
        ALERT_WATCH_SECONDS="1",
        ALERT_WEBHOOK_URL=f"http://127.0.0.1:{server.server_port}/alerts",
        ALERT_WEBHOOK_SECRET="s3cret",
    )
    workers = [spawn(env, "backoffice.cli", "worker", start=datetime.now(UTC)) for _ in range(2)]
    try:

        def alert() -> OperationsAlert | None:
            with Session(process_db) as session:
                return session.get(OperationsAlert, "scheduler_silent")

        wait_for(lambda: (a := alert()) is not None and a.notified_at is not None, 90, "alert sent")
        row = alert()
        assert row is not None and row.closed_at is None and "heartbeat" in row.detail
        wait_for(lambda: len(_Receiver.received) >= 1, 10, "webhook received")
        threading.Event().wait(4)  # two workers, several watches: still one announcement
        assert [r["alert"] for r in _Receiver.received] == ["scheduler_silent"]

        clock[0] = datetime.now(UTC)
        scheduler.one_pass()  # the scheduler (still the leader) beats again
        wait_for(lambda: (a := alert()) is not None and a.closed_at is not None, 30, "closed")
    finally:
        for proc in workers:
            stop(proc)
        server.shutdown()
