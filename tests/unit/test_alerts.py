"""The operations alert rules, their state in the database, and who may see them or act on
failed jobs. Each rule is tested on both sides of its threshold, so inverting it fails."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session

from backoffice.errors import PermissionDenied
from backoffice.models import Channel, MessageStatus, OperationsAlert, OutboxMessage
from backoffice.services.operations import alerts
from backoffice.services.operations.alerts import Finding, record_findings
from backoffice.workflows.failed_jobs import discard_failed_job, retry_failed_job
from backoffice.workflows.operations_view import operations_overview
from tests.unit.foundation_fixtures import add_member

NOW = datetime(2026, 3, 4, 2, 30, tzinfo=UTC)
FIVE_MIN = timedelta(minutes=5)
LONG_AGO = NOW - timedelta(hours=1)


# ---- scheduler silent ---------------------------------------------------------------------


def test_a_scheduler_beating_recently_is_not_silent():
    assert alerts.scheduler_silent(NOW - timedelta(seconds=30), NOW, FIVE_MIN, LONG_AGO) is None
    assert (
        alerts.scheduler_silent(NOW - timedelta(minutes=4, seconds=59), NOW, FIVE_MIN, LONG_AGO)
        is None
    )


def test_a_scheduler_silent_for_five_minutes_opens_the_alert():
    found = alerts.scheduler_silent(NOW - FIVE_MIN, NOW, FIVE_MIN, LONG_AGO)
    assert found is not None and found.key == "scheduler_silent"
    assert alerts.detail_text(found.detail, "en") == "last heartbeat 300 s ago"
    assert alerts.detail_text(found.detail, "zh-CN") == "最后一次心跳在 300 秒前"


def test_no_heartbeat_counts_as_silent_only_once_the_watcher_has_watched_that_long():
    assert alerts.scheduler_silent(None, NOW, FIVE_MIN, NOW - timedelta(minutes=1)) is None
    assert alerts.scheduler_silent(None, NOW, FIVE_MIN, NOW - FIVE_MIN) is not None


# ---- job failures -------------------------------------------------------------------------


def test_job_failures_at_the_threshold_within_the_window_open_the_alert():
    window = timedelta(minutes=15)
    inside = [NOW - timedelta(minutes=m) for m in (1, 5, 14)]
    assert alerts.job_failures(inside, NOW, 3, window) is not None
    assert alerts.job_failures(inside[:2], NOW, 3, window) is None


def test_job_failures_outside_the_window_do_not_count():
    window = timedelta(minutes=15)
    old = [NOW - timedelta(minutes=m) for m in (16, 30, 60)]
    assert alerts.job_failures(old + [NOW], NOW, 2, window) is None


# ---- channel failure rate -----------------------------------------------------------------


def test_a_channel_failing_over_twenty_percent_opens_its_alert_and_not_the_others():
    found = alerts.channel_failures({"sms": (70, 30), "email": (95, 5)}, 0.2, 20)
    assert [f.key for f in found] == ["channel_failures:sms"]
    assert alerts.detail_text(found[0].detail, "en") == "30 of 100 failed (30 %)"
    assert alerts.detail_text(found[0].detail, "zh-CN") == "100 条中 30 条失败（30%）"
    assert alerts.detail_text("6 failed", "zh-CN") == "6 failed"  # a row stored before


def test_exactly_twenty_percent_is_not_over_the_rate():
    assert alerts.channel_failures({"sms": (80, 20)}, 0.2, 20) == []
    assert alerts.channel_failures({"sms": (79, 21)}, 0.2, 20) != []


def test_a_channel_below_the_minimum_sample_never_alerts():
    assert alerts.channel_failures({"sms": (5, 14)}, 0.2, 20) == []
    assert alerts.channel_failures({"sms": (6, 14)}, 0.2, 20) != []


def test_channel_outcomes_count_sent_and_failed_in_the_window(session: Session, org):
    admin = org.actors["admin"]
    member = add_member(session, admin, org.stores["SH01"], "13800001111")
    rows = [
        (Channel.SMS, MessageStatus.SENT, NOW - timedelta(minutes=5)),
        (Channel.SMS, MessageStatus.FAILED, NOW - timedelta(minutes=5)),
        (Channel.SMS, MessageStatus.FAILED, NOW - timedelta(hours=3)),  # outside
        (Channel.SMS, MessageStatus.QUEUED, NOW),  # not finished
        (Channel.OUTBOX, MessageStatus.SENT, NOW),  # no provider
    ]
    for i, (channel, status, at) in enumerate(rows):
        session.add(
            OutboxMessage(
                member_id=member.id or 0,
                channel=channel,
                body="x",
                status=status,
                idempotency_key=f"k{i}",
                created_at=at,
            )
        )
    session.commit()
    assert alerts.channel_outcomes(session, NOW - timedelta(hours=1)) == {"sms": (1, 1)}


# ---- the state: opened once, closed, reopened ----------------------------------------------


def test_an_alert_opens_once_while_it_holds_then_closes_and_reopens(session: Session):
    found = [Finding("job_failures", detail="5 jobs failed")]
    assert [a.key for a in record_findings(session, "job_failures", found, NOW)] == ["job_failures"]
    session.commit()
    later = NOW + timedelta(minutes=1)
    assert record_findings(session, "job_failures", found, later) == []  # still open: no news
    session.commit()
    assert record_findings(session, "job_failures", [], later) == []
    session.commit()
    row = session.get(OperationsAlert, "job_failures")
    assert row is not None and row.closed_at is not None
    again = record_findings(session, "job_failures", found, later + timedelta(minutes=5))
    assert [a.key for a in again] == ["job_failures"]
    assert again[0].closed_at is None and again[0].notified_at is None


def test_closing_one_rule_leaves_another_rules_alerts_open(session: Session):
    record_findings(session, "job_failures", [Finding("job_failures")], NOW)
    record_findings(session, "channel_failures", [Finding("channel_failures", "sms")], NOW)
    session.commit()
    record_findings(session, "channel_failures", [], NOW)
    session.commit()
    assert session.get(OperationsAlert, "job_failures").closed_at is None  # type: ignore[union-attr]
    assert session.get(OperationsAlert, "channel_failures:sms").closed_at is not None  # type: ignore[union-attr]


def test_mark_notified_records_the_announcement_of_that_opening_only(session: Session):
    (row,) = record_findings(session, "job_failures", [Finding("job_failures")], NOW)
    session.commit()
    alerts.mark_notified(session, "job_failures", NOW - timedelta(days=1))  # an older opening
    assert session.get(OperationsAlert, "job_failures").notified_at is None  # type: ignore[union-attr]
    alerts.mark_notified(session, "job_failures", row.opened_at)
    assert session.get(OperationsAlert, "job_failures").notified_at is not None  # type: ignore[union-attr]


# ---- who may see and act -------------------------------------------------------------------


class Untouchable:
    """A Redis that fails the test if a refused caller reaches it."""

    def __getattr__(self, name: str) -> object:
        raise AssertionError(f"Redis touched ({name}) by a caller without the permission")


@pytest.mark.parametrize("username", ["auditor", "owner", "reception"])
def test_only_hq_admins_see_operations_and_alerts(session: Session, org, username):
    actor = org.actors[username]
    with pytest.raises(PermissionDenied):
        alerts.open_alerts(session, actor)
    with pytest.raises(PermissionDenied):
        operations_overview(session, actor, Untouchable())  # type: ignore[arg-type]


@pytest.mark.parametrize("use_case", [retry_failed_job, discard_failed_job])
@pytest.mark.parametrize("username", ["auditor", "owner", "reception"])
def test_other_roles_cannot_retry_or_discard_failed_jobs(session: Session, org, username, use_case):
    with pytest.raises(PermissionDenied):
        use_case(session, org.actors[username], Untouchable(), "any-job")


def test_the_hq_admin_sees_open_alerts(session: Session, org):
    record_findings(session, "job_failures", [Finding("job_failures", detail="6 failed")], NOW)
    session.commit()
    (alert,) = alerts.open_alerts(session, org.actors["admin"])
    assert alert.detail == "6 failed"
