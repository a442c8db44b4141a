"""The suite's own clock (tests/clock.py): every unit test starts at the fixed instant."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from backoffice.models.base import utcnow
from tests.clock import test_now


def test_each_test_starts_at_the_suites_fixed_instant():
    assert abs(datetime.now(UTC) - test_now()) < timedelta(minutes=1)
    assert abs(utcnow() - test_now()) < timedelta(minutes=1)


def test_the_default_instant_has_a_single_digit_day_and_month(monkeypatch):
    monkeypatch.delenv("TEST_NOW", raising=False)
    assert test_now() == datetime(2026, 3, 4, 2, 30, tzinfo=UTC)


def test_a_test_can_move_its_clock(clock):
    clock.move_to(datetime(2027, 12, 31, 15, 59, tzinfo=UTC))
    assert datetime.now(UTC).date() == date(2027, 12, 31)
