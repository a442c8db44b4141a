"""The scheduler (backoffice/workflows/scheduler.py) against a real Redis: one leader, a
standby that takes over, errors that never stop it, catch-up after downtime, a heartbeat."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from rq import Queue
from sqlmodel import Session, func, select

from backoffice.db import get_engine
from backoffice.demo import admin_actor, seed_org
from backoffice.models import Member, SchedulerState, WorkflowRun
from backoffice.services.members.profiles import MemberInput, create_member
from backoffice.settings import get_settings
from backoffice.workflows import scheduler as scheduler_module
from backoffice.workflows.campaigns.lifecycle import (
    WorkflowInput,
    create_workflow,
    publish_workflow,
)
from backoffice.workflows.heartbeat import scheduler_heartbeat
from backoffice.workflows.housekeeping import read_state
from backoffice.workflows.scheduler import Scheduler
from tests.unit.workflow_fixtures import chain, node

# 10:00:30 on 4 March 2026 in Shanghai
T0 = datetime(2026, 3, 4, 2, 0, 30, tzinfo=UTC)


@pytest.fixture
def chain_db(engine, redis, redis_url, monkeypatch):
    """The test database as the process's own (the scheduler's session_scope), two members
    and a published every-minute campaign."""
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("REDIS_URL", redis_url)
    get_settings.cache_clear()
    get_engine.cache_clear()
    with Session(engine, expire_on_commit=False) as session:
        stores = seed_org(session)
        admin = admin_actor(session)
        for phone in ("13700000001", "13700000002"):
            create_member(
                session,
                admin,
                MemberInput(name="会员", phone=phone, home_store_id=stores["SH01"]),
            )
        workflow = create_workflow(
            session,
            admin,
            WorkflowInput(
                name="每分钟",
                graph=chain(node("t", "trigger.schedule", cron="* * * * *"), node("s", "stop")),
            ),
        )
        publish_workflow(session, admin, workflow.id)
        session.commit()
    yield engine
    get_settings.cache_clear()
    get_engine.cache_clear()


def _runs(engine) -> list[str]:  # noqa: ANN001
    with Session(engine) as session:
        return sorted(session.exec(select(WorkflowRun.trigger_key)).all())


def _members(engine) -> int:  # noqa: ANN001
    with Session(engine) as session:
        return int(session.exec(select(func.count()).select_from(Member)).one())


def _at(when: datetime):  # noqa: ANN202
    return lambda: when


def test_one_scheduler_leads_the_other_stands_by_then_takes_over(chain_db, redis):
    # A lease far longer than a pass: on a loaded machine a 2 s lease ran out during the
    # leader's first pass and the standby rightly took over. Hand-over is tested by resign()
    # here and by an expired lease in the next test.
    first = Scheduler(redis, chain_db, clock=_at(T0), lease_seconds=60)
    second = Scheduler(redis, chain_db, clock=_at(T0), lease_seconds=60)
    assert first.one_pass().leader
    assert not second.one_pass().leader
    assert first.one_pass().leader  # renews its own lease
    first.resign()  # stopped: the lock is given back
    assert second.one_pass().leader
    assert not first.one_pass().leader


def test_a_standby_takes_over_when_the_leaders_lease_runs_out(chain_db, redis):
    dead = Scheduler(redis, chain_db, clock=_at(T0), lease_seconds=1)
    standby = Scheduler(redis, chain_db, clock=_at(T0), lease_seconds=1)
    assert dead.one_pass().leader
    assert not standby.one_pass().leader
    redis.pexpire(scheduler_module.LEADER_KEY, 1)  # the leader died; its lease runs out
    import time

    time.sleep(0.05)
    assert standby.one_pass().leader


def test_each_minute_fires_once_and_missed_minutes_are_caught_up_once(chain_db, redis):
    members = _members(chain_db)
    leader = Scheduler(redis, chain_db, clock=_at(T0))
    assert leader.one_pass().ticked == 1
    assert leader.one_pass().ticked == 0  # the same minute: no second tick
    assert len(_runs(chain_db)) == members  # 10:00
    # Down for three minutes; back at 10:04:10: 10:01, 10:02, 10:03 and 10:04, once each.
    back = Scheduler(redis, chain_db, clock=_at(T0 + timedelta(minutes=3, seconds=40)))
    redis.delete(scheduler_module.LEADER_KEY)
    assert back.one_pass().started == 4 * members
    keys = _runs(chain_db)
    assert len(keys) == 5 * members and len(set(keys)) == 5
    assert back.one_pass().ticked == 0
    assert len(_runs(chain_db)) == 5 * members


def test_catch_up_stops_at_the_window(chain_db, redis, monkeypatch):
    monkeypatch.setenv("SCHEDULER_CATCHUP_HOURS", "1")
    get_settings.cache_clear()
    members = _members(chain_db)
    Scheduler(redis, chain_db, clock=_at(T0)).one_pass()
    redis.delete(scheduler_module.LEADER_KEY)
    later = Scheduler(redis, chain_db, clock=_at(T0 + timedelta(hours=5)))
    assert later.one_pass().started == 60 * members  # the last hour only


def test_an_error_in_a_tick_is_recorded_and_the_next_tick_runs(chain_db, redis, monkeypatch):
    leader = Scheduler(redis, chain_db, clock=_at(T0))
    real = scheduler_module.fire_time_triggers
    calls = []

    def broken(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("database went away")
        return real(*args, **kwargs)

    monkeypatch.setattr(scheduler_module, "fire_time_triggers", broken)
    failed = leader.one_pass()
    assert failed.leader and failed.errors == 1 and failed.ticked == 0
    with Session(chain_db) as session:
        assert "database went away" in read_state(session, "error.tick")
    assert "database went away" in str(scheduler_heartbeat(redis)["last_error"])
    retried = leader.one_pass()  # the next pass ticks the minute the failed one missed
    assert retried.errors == 0 and retried.ticked == 1
    assert len(_runs(chain_db)) == _members(chain_db)


def test_the_heartbeat_says_who_leads_and_when(chain_db, redis):
    Scheduler(redis, chain_db, clock=_at(T0)).one_pass()
    beat = scheduler_heartbeat(redis)
    assert beat is not None and beat["leader"] is True and beat["at"] == T0.isoformat()


def test_nightly_is_queued_once_per_local_day_after_three(chain_db, redis):
    queue = Queue("default", connection=redis)
    early = datetime(2026, 3, 3, 18, 30, tzinfo=UTC)  # 02:30 in Shanghai
    Scheduler(redis, chain_db, clock=_at(early)).one_pass()
    assert "nightly-loyalty-2026-03-04" not in queue.get_job_ids()
    redis.delete(scheduler_module.LEADER_KEY)
    after = datetime(2026, 3, 3, 19, 5, tzinfo=UTC)  # 03:05
    leader = Scheduler(redis, chain_db, clock=_at(after))
    leader.one_pass()
    leader.one_pass()
    assert queue.get_job_ids().count("nightly-loyalty-2026-03-04") == 1
    with Session(chain_db) as session:
        assert session.get(SchedulerState, "nightly.last") is None  # recorded by the job
