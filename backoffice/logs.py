"""Structured logs for every process (web app, API, worker, scheduler): structlog renders
both its own events and the standard library's (RQ's, ours), as `key=value` lines or, with
LOG_FORMAT=json, one JSON object a line. Context bound with `bind` (the process, a job's id,
a batch's runs) rides along on every line logged in that context."""

from __future__ import annotations

import logging
import sys
from typing import Any

import structlog

from backoffice.settings import get_settings

_SHARED: list[Any] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_logger_name,
    structlog.stdlib.add_log_level,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


def configure_logging(process: str, level: str | None = None) -> None:
    """Route every log record of this process through one structlog formatter on stderr.

    LOG_FORMAT (console | json), LOG_LEVEL; RQ_LOG_LEVEL turns RQ's own chatter down (the
    launcher sets WARNING, so `make run` shows one line per batch, not two per job)."""
    settings = get_settings()
    json_lines = settings.log_format.lower() == "json"
    renderer: Any = (
        structlog.processors.JSONRenderer(ensure_ascii=False)
        if json_lines
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[*_SHARED, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[*_SHARED, structlog.stdlib.ExtraAdder()],
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel((level or settings.log_level).upper())
    rq_level = settings.rq_log_level
    for name in ("rq.worker", "rq.job", "rq.scheduler", "rq"):
        logger = logging.getLogger(name)
        logger.handlers, logger.propagate = [], True
        if rq_level:
            logger.setLevel(rq_level.upper())
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(process=process)


def bind(**values: Any) -> None:
    """Add context (job_id, run ids, workflow) to every following line of this context."""
    structlog.contextvars.bind_contextvars(**values)


def unbind(*names: str) -> None:
    structlog.contextvars.unbind_contextvars(*names)


def get_logger(name: str) -> Any:
    return structlog.get_logger(name)
