"""Large batches split for SQL: an `IN (…)` list or a multi-row VALUES with more bound
parameters than the driver allows fails (SQLite's limit is 999 on older builds, 32,766
on newer; PostgreSQL's protocol caps at 65,535), so set-based code feeds statements in
slices that stay under the smallest."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TypeVar

T = TypeVar("T")

MAX_PARAMS = 999  # bound parameters per statement that every supported database accepts
RESERVED = 99  # left for the statement's own other conditions (a channel, a date, …)


def chunks(items: Sequence[T], params_each: int = 1) -> Iterator[Sequence[T]]:
    """Consecutive slices of `items` whose bound parameters (slice length × `params_each`,
    plus the statement's own few) stay under every database's limit."""
    room = MAX_PARAMS - RESERVED
    if not 1 <= params_each <= room:
        raise ValueError(f"an item needs 1..{room} parameters, not {params_each}")
    size = room // params_each
    for start in range(0, len(items), size):
        yield items[start : start + size]
