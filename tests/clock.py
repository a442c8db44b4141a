"""The test suite's clock: unit and integration tests run at one fixed instant, not today's.

A fixed "now" makes a date- or hour-dependent result the same on every day and at every
hour. The default is 4 March 2026, 10:30 in Shanghai: a single-digit day and month, a
Wednesday, outside quiet hours. `TEST_NOW` (ISO 8601 with an offset) moves the whole run to
another instant, so a sweep over awkward instants (the 1st, New Year's Eve at midnight,
29 February, 21:30 in quiet hours) finds what still depends on the clock:

    TEST_NOW=2027-12-31T23:50:00+08:00 make test-unit

The clock ticks from that instant (time-machine's `tick=True`): timeouts and sleeps behave.
Worker processes that integration tests start are put on the same clock by
`python -m tests.clocked MODULE ARGS…`.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

DEFAULT_NOW = "2026-03-04T10:30:00+08:00"


def test_now() -> datetime:
    """The instant this run starts at, in UTC."""
    raw = os.environ.get("TEST_NOW") or DEFAULT_NOW
    when = datetime.fromisoformat(raw)
    if when.tzinfo is None:
        raise ValueError(f"TEST_NOW needs a UTC offset, e.g. {DEFAULT_NOW}; got {raw!r}")
    return when.astimezone(UTC)


test_now.__test__ = False  # type: ignore[attr-defined]  # not a test for pytest to collect

# Session-wide data (the migrated template, the demo organisation) is made this long before
# the instant each test starts at, so it is never "in the future" of a test.
SEED_LEAD = timedelta(hours=1)


@contextmanager
def fixed_clock(lead: timedelta = timedelta(0)) -> Iterator[time_machine.Coordinates]:
    """Run the block on the suite's clock, `lead` before its fixed instant, ticking."""
    with time_machine.travel(test_now() - lead, tick=True) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def clock() -> Iterator[time_machine.Coordinates]:
    """Every unit and integration test starts at the suite's fixed instant (tests/clock.py).

    A test that needs another moment moves it: `clock.move_to(...)`, or `clock.shift(...)`.
    """
    with fixed_clock() as traveller:
        yield traveller


def clocked_command(module: str, *args: str) -> list[str]:
    """The argv that runs `python -m module args…` on the calling test's clock."""
    return [sys.executable, "-m", "tests.clocked", module, *args]


def clock_env(env: dict[str, str]) -> dict[str, str]:
    """`env` plus the calling test's current instant, which tests.clocked starts from."""
    return dict(env, TEST_START=datetime.now(UTC).isoformat())
