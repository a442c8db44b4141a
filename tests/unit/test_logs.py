"""Structured logs: with LOG_FORMAT=json every line is one JSON object carrying the process
and whatever the job bound (its id, the batch's runs), also for the standard library's
loggers (RQ's, ours)."""

from __future__ import annotations

import json
import logging

import pytest

from backoffice.logs import bind, configure_logging, unbind
from backoffice.settings import get_settings


@pytest.fixture
def restore_logging():
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers, root.level = handlers, level
    for name in ("rq.worker", "rq.job", "rq.scheduler", "rq"):
        logging.getLogger(name).setLevel(logging.NOTSET)
    get_settings.cache_clear()


def test_json_lines_carry_the_process_and_the_jobs_ids(monkeypatch, capsys, restore_logging):
    monkeypatch.setenv("LOG_FORMAT", "json")
    get_settings.cache_clear()
    configure_logging("worker")
    bind(job_id="runs-abc", runs="1-1000")
    logging.getLogger("backoffice.engine").info("batch advanced", extra={"steps": 2000})
    unbind("job_id", "runs")
    logging.getLogger("rq.worker").warning("after the job")
    first, second = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert first["event"] == "batch advanced" and first["steps"] == 2000
    assert first["process"] == "worker" and first["job_id"] == "runs-abc"
    assert first["runs"] == "1-1000" and first["logger"] == "backoffice.engine"
    assert second["process"] == "worker" and "job_id" not in second


def test_rq_log_level_turns_rqs_own_lines_down(monkeypatch, capsys, restore_logging):
    monkeypatch.setenv("RQ_LOG_LEVEL", "WARNING")
    get_settings.cache_clear()
    configure_logging("worker")
    logging.getLogger("rq.worker").info("default: Job OK (runs-1)")
    logging.getLogger("backoffice.engine").info("batch advanced")
    err = capsys.readouterr().err
    assert "batch advanced" in err and "Job OK" not in err
