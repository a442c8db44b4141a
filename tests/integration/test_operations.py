"""Health, readiness, metrics and `backoffice status` against a real Redis and database:
not ready without a scheduler heartbeat or a live worker, ready with both."""

from __future__ import annotations

import os
import subprocess
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from rq import Queue, Worker

from backoffice.api import create_app
from backoffice.workflows.scheduler import Scheduler
from tests.clock import clock_env, clocked_command
from tests.integration.conftest import ROOT

pytestmark = pytest.mark.integration


@pytest.fixture
def ops(process_db, redis, redis_url, monkeypatch):  # noqa: ANN001, ANN201
    from backoffice.settings import get_settings

    monkeypatch.setenv("REDIS_URL", redis_url)
    get_settings.cache_clear()
    yield TestClient(create_app(), raise_server_exceptions=False)
    get_settings.cache_clear()


def _live_worker(redis) -> Worker:  # noqa: ANN001
    worker = Worker([Queue("default", connection=redis)], connection=redis)
    worker.register_birth()
    worker.heartbeat()
    return worker


def test_healthz_answers_while_the_process_runs(ops):
    assert ops.get("/healthz").json() == {"status": "ok"}


def test_not_ready_without_a_scheduler_or_a_worker_then_ready(ops, process_db, redis):
    first = ops.get("/readyz")
    assert first.status_code == 503
    problems = first.json()["problems"]
    assert any("scheduler" in p for p in problems) and any("workers" in p for p in problems)
    Scheduler(redis, process_db).one_pass()
    _live_worker(redis)
    ready = ops.get("/readyz")
    assert ready.status_code == 200, ready.json()
    body = ready.json()
    assert body["checks"]["database"] and body["checks"]["redis"]
    assert (
        body["checks"]["workers_alive"] == 1 and body["checks"]["scheduler_heartbeat_seconds"] < 60
    )


def test_a_silent_scheduler_makes_readiness_fail(ops, process_db, redis):
    old = datetime(2026, 3, 4, 2, 0, tzinfo=UTC)
    Scheduler(redis, process_db, clock=lambda: old).one_pass()  # its last beat, long ago
    _live_worker(redis)
    body = ops.get("/readyz").json()
    assert not body["ready"] and any("scheduler" in p for p in body["problems"])


def test_metrics_in_the_prometheus_format(ops, process_db, redis):
    Scheduler(redis, process_db).one_pass()
    _live_worker(redis)
    text = ops.get("/metrics").text
    assert "# TYPE backoffice_workflow_runs gauge" in text
    assert 'backoffice_queue_jobs{queue="default",state="queued"}' in text
    assert "backoffice_workers_alive 1.0" in text
    assert "backoffice_ready 1.0" in text


def test_backoffice_status_prints_the_same_and_exits_by_readiness(process_db, redis, redis_url):
    env = dict(
        os.environ,
        DATABASE_URL=process_db.url.render_as_string(hide_password=False),
        REDIS_URL=redis_url,
    )

    def status() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            clocked_command("backoffice.cli", "status"),  # on the test's clock
            cwd=ROOT,
            env=clock_env(env),
            capture_output=True,
            text=True,
            timeout=120,
        )

    down = status()
    assert down.returncode == 1 and "ready: NO" in down.stdout
    assert "problem: scheduler: no heartbeat" in down.stdout
    Scheduler(redis, process_db).one_pass()
    _live_worker(redis)
    up = status()
    assert up.returncode == 0, up.stdout
    assert "ready: yes" in up.stdout and "queue default:" in up.stdout
