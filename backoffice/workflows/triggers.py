"""What starts runs: domain events (dispatch) and time (birthday, anniversary, inactivity,
cron schedules). Both end in engine.start_runs, keyed so each occurrence starts once."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

from croniter import croniter
from sqlalchemy import extract, false, func, or_, true
from sqlalchemy.sql import ColumnElement
from sqlmodel import Session, col, select

from backoffice.models import (
    DomainEvent,
    Member,
    MemberStatus,
    Sale,
    Segment,
    Workflow,
    WorkflowStatus,
)
from backoffice.models.base import utcnow
from backoffice.services.messaging.webhooks import fan_out
from backoffice.settings import get_settings
from backoffice.workflows.conditions import Group, to_sql
from backoffice.workflows.engine import compiled, start_runs
from backoffice.workflows.nodes import REGISTRY

TIME_TRIGGERS = ("trigger.birthday", "trigger.anniversary", "trigger.inactive", "trigger.schedule")


def _published(session: Session, trigger_types: tuple[str, ...]) -> list[Workflow]:
    return list(
        session.exec(
            select(Workflow).where(
                Workflow.status == WorkflowStatus.PUBLISHED,
                col(Workflow.trigger_type).in_(trigger_types),
            )
        ).all()
    )


def scope_filter(workflow: Workflow) -> ColumnElement[bool]:
    """A workflow of some stores only touches members of those stores."""
    if not workflow.store_ids:
        return true()
    return col(Member.home_store_id).in_(workflow.store_ids)


def dispatch_events(session: Session, limit: int = 1000) -> list[int]:
    """Match new domain events to published workflows and start runs; returns run ids."""
    events = session.exec(
        select(DomainEvent)
        .where(col(DomainEvent.dispatched_at).is_(None))
        .order_by(col(DomainEvent.id))
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    if not events:
        return []
    fan_out(session, list(events))  # outgoing webhooks: one delivery row per subscription
    by_trigger: dict[str, list[str]] = {}
    for node_type in REGISTRY.values():
        for name in node_type.events:
            by_trigger.setdefault(name, []).append(node_type.type)
    workflows = _published(session, tuple({t for ts in by_trigger.values() for t in ts}))
    run_ids: list[int] = []
    now = utcnow()
    for event in events:
        event.dispatched_at = now
        session.add(event)
        if event.member_id is None:
            continue
        member = session.get(Member, event.member_id)
        if member is None or member.status != MemberStatus.ACTIVE:
            continue
        for workflow in workflows:
            if workflow.trigger_type not in by_trigger.get(event.name, []):
                continue
            if workflow.store_ids and member.home_store_id not in workflow.store_ids:
                continue
            plan = compiled(session, workflow.id or 0, workflow.published_version or 0)
            trigger = plan.graph.trigger()
            if trigger is None or not REGISTRY[trigger.type].matches_event(
                plan.configs[trigger.id], event.payload
            ):
                continue
            run_ids += start_runs(session, workflow, [member.id or 0], f"event:{event.id}", now)
    return run_ids


def _segment_clause(session: Session, segment_id: int | None) -> ColumnElement[bool]:
    if segment_id is None:
        return true()
    segment = session.get(Segment, segment_id)
    if segment is None:
        return false()
    clause = to_sql(session, Group.model_validate(segment.condition))
    if segment.store_ids:
        clause = clause & col(Member.home_store_id).in_(segment.store_ids)
    return clause


def members_for(session: Session, workflow: Workflow, *clauses: ColumnElement[bool]) -> list[int]:
    stmt = select(Member.id).where(
        Member.status == MemberStatus.ACTIVE, scope_filter(workflow), *clauses
    )
    # ids read back from the table are never None
    return cast("list[int]", list(session.exec(stmt.order_by(col(Member.id))).all()))


def fire_time_triggers(
    session: Session, now: datetime | None = None, since: datetime | None = None
) -> list[int]:
    """Start runs for every time-based trigger due in (since, now]: each cron occurrence in
    that span once, and the birthdays and anniversaries of every local day it touches (a
    scheduler that was down catches up; the run keys make a repeat start nobody).
    `since` None: just this minute."""
    now = now or utcnow()
    since = since if since is not None else now - timedelta(minutes=1)
    tz = ZoneInfo(get_settings().default_timezone)
    days = _local_days(since, now, tz)
    run_ids: list[int] = []
    for workflow in _published(session, TIME_TRIGGERS):
        plan = compiled(session, workflow.id or 0, workflow.published_version or 0)
        trigger = plan.graph.trigger()
        if trigger is None:
            continue
        config: Any = plan.configs[trigger.id]
        kind = trigger.type
        if kind == "trigger.birthday":
            for today in days:
                day = today + timedelta(days=config.days_before)
                ids = members_for(
                    session,
                    workflow,
                    extract("month", col(Member.birthday)) == day.month,
                    extract("day", col(Member.birthday)) == day.day,
                )
                run_ids += start_runs(session, workflow, ids, f"birthday:{day.year}", now)
        elif kind == "trigger.anniversary":
            for today in days:
                ids = members_for(
                    session,
                    workflow,
                    extract("month", col(Member.joined_at)) == today.month,
                    extract("day", col(Member.joined_at)) == today.day,
                    extract("year", col(Member.joined_at)) < today.year,
                )
                run_ids += start_runs(session, workflow, ids, f"anniversary:{today.year}", now)
        elif kind == "trigger.inactive":
            run_ids += _inactive(session, workflow, config.days, now)
        elif kind == "trigger.schedule":
            for tick in cron_ticks(config.cron, since, now, tz):
                ids = members_for(session, workflow, _segment_clause(session, config.segment_id))
                run_ids += start_runs(session, workflow, ids, f"schedule:{tick.isoformat()}", now)
    return run_ids


def _local_days(since: datetime, now: datetime, tz: ZoneInfo) -> list[date]:
    """The local calendar days from `since` to `now`, both included."""
    first, last = since.astimezone(tz).date(), now.astimezone(tz).date()
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def cron_ticks(cron: str, since: datetime, now: datetime, tz: ZoneInfo) -> list[datetime]:
    """The cron's occurrences in (since, now], oldest first."""
    ticks: list[datetime] = []
    it = croniter(cron, since.astimezone(tz))
    while (tick := it.get_next(datetime)) <= now:
        ticks.append(tick)
        if len(ticks) > 10_000:  # an every-minute cron over a long window: the window caps it
            break
    return ticks


def _inactive(session: Session, workflow: Workflow, days: int, now: datetime) -> list[int]:
    """Members with no sale for `days` (since their last sale, or since joining): once per
    quiet spell, keyed by the last sale, so a member who buys again can be won back again."""
    cutoff = now - timedelta(days=days)
    last_sale = (
        select(
            Sale.member_id,
            func.max(Sale.id).label("last_id"),
            func.max(Sale.created_at).label("last_at"),
        )
        .group_by(col(Sale.member_id))
        .subquery()
    )
    rows = session.exec(
        select(Member.id, last_sale.c.last_id)
        .join(last_sale, last_sale.c.member_id == Member.id, isouter=True)
        .where(
            Member.status == MemberStatus.ACTIVE,
            scope_filter(workflow),
            or_(
                last_sale.c.last_at <= cutoff,
                (last_sale.c.last_at.is_(None)) & (Member.joined_at <= cutoff),
            ),
        )
    ).all()
    by_key: dict[str, list[int]] = {}
    for member_id, last_id in rows:
        by_key.setdefault(f"inactive:{last_id or 'never'}", []).append(int(member_id or 0))
    run_ids: list[int] = []
    for key, ids in by_key.items():
        run_ids += start_runs(session, workflow, ids, key, now)
    return run_ids


def today_in(tz: str) -> date:
    return utcnow().astimezone(ZoneInfo(tz)).date()
