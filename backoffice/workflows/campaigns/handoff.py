"""Handing started runs to the workers. When Redis is unreachable the runs stay rows and the
minute tick's recovery of stale runs picks them up, so a page or API call never loses them."""

from __future__ import annotations

from collections.abc import Callable

from backoffice.queue import connect
from backoffice.workflows.executor import RQExecutor


def submit_runs(run_ids: list[int], executor: Callable[[list[int]], None] | None = None) -> bool:
    """Hand started runs to the workers; when Redis is unreachable the minute tick's
    recovery of stale runs picks them up, so this never loses them."""
    if not run_ids:
        return True
    try:
        if executor is None:
            executor = RQExecutor(connect()).submit
        executor(run_ids)
        return True
    except Exception:  # noqa: BLE001  (the runs are rows; the reconciler will advance them)
        return False
