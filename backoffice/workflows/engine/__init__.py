"""The engine: validating graphs, starting runs exactly once, and advancing runs in waves
(validation, runs, waves, outcomes)."""

from backoffice.workflows.engine.outcomes import MAX_ATTEMPTS, WaveReport, retry_delays
from backoffice.workflows.engine.runs import (
    CompiledVersion,
    compiled,
    due_runs,
    stale_running,
    start_runs,
)
from backoffice.workflows.engine.validation import graph_problems, parse_config
from backoffice.workflows.engine.waves import MAX_WAVES, Call, WakeLater, advance

__all__ = [
    "MAX_ATTEMPTS",
    "MAX_WAVES",
    "Call",
    "CompiledVersion",
    "WakeLater",
    "WaveReport",
    "advance",
    "compiled",
    "due_runs",
    "graph_problems",
    "parse_config",
    "retry_delays",
    "stale_running",
    "start_runs",
]
