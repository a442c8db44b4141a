"""Every node type not covered by test_workflow_engine: the remaining actions and triggers,
and the referral reward a sign-up form can trigger."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

import backoffice.db
from backoffice.models import Member, MemberTag, PointsKind, StaffTask, WorkflowRun
from backoffice.services.loyalty import points, wallet
from backoffice.services.loyalty.earn_rules import EarnRuleInput, create_rule
from backoffice.services.loyalty.enrolment import enrol_member
from backoffice.services.loyalty.tiers import set_member_tier
from backoffice.services.members.profiles import MemberInput, create_member, member_tags
from backoffice.workflows.campaigns.lifecycle import (
    SegmentInput,
    WorkflowInput,
    create_workflow,
    publish_workflow,
    save_segment,
    segment_count,
)
from backoffice.workflows.engine import advance, start_runs
from backoffice.workflows.triggers import dispatch_events, fire_time_triggers
from tests.unit.loyalty_fixtures import setup_programme
from tests.unit.workflow_fixtures import chain, node

NOON = datetime(2026, 6, 1, 4, 0, tzinfo=UTC)


@pytest.fixture
def wf(session, org, engine, monkeypatch):
    monkeypatch.setattr(backoffice.db, "get_engine", lambda: engine)
    admin = org.actors["admin"]
    programme = setup_programme(session, admin)
    session.commit()
    return {"admin": admin, "org": org, **programme}


def _member(session, wf, phone: str, **extra) -> Member:  # noqa: ANN001, ANN003
    member = create_member(
        session,
        wf["admin"],
        MemberInput(name="节点", phone=phone, home_store_id=wf["org"].stores["SH01"], **extra),
    )
    session.commit()
    return member


def _run(session, wf, graph: dict, member: Member, now: datetime = NOON) -> WorkflowRun:  # noqa: ANN001
    workflow = create_workflow(session, wf["admin"], WorkflowInput(name="节点测试", graph=graph))
    publish_workflow(session, wf["admin"], workflow.id)
    ids = start_runs(session, workflow, [member.id], "manual:test", now)
    session.commit()
    advance(ids, now=lambda: now)
    session.expire_all()
    return session.get(WorkflowRun, ids[0])


def test_deduct_points_remove_tag_set_custom_field_and_create_task(session, wf):
    member = _member(session, wf, "13600000001", tags=["待回访"])
    points.credit(session, member.id, 500, PointsKind.ADJUST, cause_type="staff")
    session.commit()
    run = _run(
        session,
        wf,
        chain(
            node("t", "trigger.manual"),
            node("d", "action.deduct_points", points=200),
            node("r", "action.remove_tag", tag="待回访"),
            node("f", "action.set_custom_field", key="skin_type", value="敏感"),
            node("k", "action.create_task", title="电话回访", due_days=2),
        ),
        member,
    )
    assert run.status == "completed"
    assert points.balance_of(session, member.id) == 300
    assert member_tags(session, member.id) == []
    assert session.get(Member, member.id).custom["skin_type"] == "敏感"
    task = session.exec(select(StaffTask)).one()
    assert task.title == "电话回访" and task.store_id == wf["org"].stores["SH01"]


def test_a_bad_custom_value_is_refused_at_publish(session, wf):
    workflow = create_workflow(
        session,
        wf["admin"],
        WorkflowInput(
            name="坏值",
            graph=chain(
                node("t", "trigger.manual"),
                node("f", "action.set_custom_field", key="skin_type", value="不存在的选项"),
            ),
        ),
    )
    from backoffice.workflows.campaigns.lifecycle import validate_workflow

    assert ("f", "error.choice") in {
        (p.node_id, p.message) for p in validate_workflow(session, wf["admin"], workflow.id)
    }


def test_wait_until_birthday(session, wf):
    member = _member(session, wf, "13600000002", birthday="1990-06-20")
    run = _run(
        session,
        wf,
        chain(
            node("t", "trigger.manual"),
            node("w", "wait", until_field="birthday"),
            node("p", "action.grant_points", points=1),
        ),
        member,
    )
    assert run.status == "waiting" and run.wake_at.date().isoformat() == "2026-06-20"


def test_anniversary_and_cron_schedule_triggers(session, wf):
    member = _member(session, wf, "13600000003")
    member.joined_at = NOON - timedelta(days=365 * 2)
    session.add(member)
    segment = save_segment(
        session,
        wf["admin"],
        SegmentInput(
            name="上海会员",
            condition={
                "match": "all",
                "rules": [{"kind": "store_in", "value": [wf["org"].stores["SH01"]]}],
            },
        ),
    )
    session.commit()
    assert segment_count(session, wf["admin"], segment.condition) == 1
    for trigger in (
        node("t", "trigger.anniversary"),
        node("t", "trigger.schedule", cron="0 12 * * *", segment_id=segment.id),
    ):
        workflow = create_workflow(
            session,
            wf["admin"],
            WorkflowInput(
                name=trigger["type"],
                graph=chain(trigger, node("g", "action.add_tag", tag=trigger["type"])),
            ),
        )
        publish_workflow(session, wf["admin"], workflow.id)
    session.commit()
    ids = fire_time_triggers(session, NOON)  # 12:00 Shanghai: the cron tick and the anniversary
    session.commit()
    advance(ids, now=lambda: NOON)
    assert sorted(member_tags(session, member.id)) == ["trigger.anniversary", "trigger.schedule"]
    assert fire_time_triggers(session, NOON, since=NOON) == []  # no second tick, no rerun


def test_tier_changed_points_expiring_and_low_balance_triggers(session, wf):
    member = _member(session, wf, "13600000004")
    for trigger, tag in (
        ("trigger.tier_changed", "升级"),
        ("trigger.points_expiring", "将过期"),
        ("trigger.wallet_low", "余额低"),
    ):
        config = {"direction": "up"} if trigger == "trigger.tier_changed" else {}
        workflow = create_workflow(
            session,
            wf["admin"],
            WorkflowInput(
                name=tag,
                graph=chain(node("t", trigger, **config), node("g", "action.add_tag", tag=tag)),
            ),
        )
        publish_workflow(session, wf["admin"], workflow.id)
    session.commit()
    dispatch_events(session)  # member.created: none of these start
    set_member_tier(session, wf["admin"], member.id, wf["tiers"]["SILVER"].id, "活动")
    lot = points.credit(session, member.id, 100, PointsKind.EARN, cause_type="sale")
    points.notify_expiring_points(session, now=lot.expires_at - timedelta(days=10))
    wallet.top_up(session, wf["admin"], wf["org"].stores["SH01"], 6_000, member_id=member.id)
    wallet.pay(
        session,
        member.id,
        5_000,
        store_id=wf["org"].stores["SH01"],
        cause_type="sale",
        cause_id=1,
        request_id=None,
        actor_id=None,
    )
    session.commit()
    ids = dispatch_events(session)
    session.commit()
    advance(ids)
    assert sorted(member_tags(session, member.id)) == sorted(["升级", "将过期", "余额低"])
    assert session.exec(select(MemberTag)).all()


def test_sign_up_and_referral_points_from_the_earn_rules(session, wf):
    create_rule(session, wf["admin"], EarnRuleInput(name="注册", kind="signup", points=200))
    create_rule(session, wf["admin"], EarnRuleInput(name="推荐", kind="referral", points=500))
    sh = wf["org"].stores["SH01"]
    referrer = enrol_member(
        session, wf["admin"], MemberInput(name="老会员", phone="13600000005", home_store_id=sh)
    )
    newcomer = enrol_member(
        session,
        wf["admin"],
        MemberInput(
            name="新人",
            phone="13600000006",
            home_store_id=wf["org"].stores["SH01"],
            referrer_ref=referrer.member_no,
        ),
    )
    session.commit()
    assert points.balance_of(session, newcomer.id) == 200
    assert points.balance_of(session, referrer.id) == 200 + 500
    imported = create_member(  # an import or the demo: history comes with it, no welcome points
        session,
        wf["admin"],
        MemberInput(name="导入", phone="13600000008", home_store_id=sh),
        source="import",
    )
    assert points.balance_of(session, imported.id) == 0
    assert newcomer.referrer_id == referrer.id
    from backoffice.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as err:
        create_member(
            session,
            wf["admin"],
            MemberInput(
                name="无效",
                phone="13600000007",
                home_store_id=wf["org"].stores["SH01"],
                referrer_ref="M99999999",
            ),
        )
    assert err.value.errors == {"referrer_ref": "error.referrer_unknown"}
