"""The message rules, each guarded on a campaign batch and on a single send (a batch of one):
consent per channel (marketing only), quiet hours in the member's store time (21:00-09:00 by
default), the marketing cap (3 in 7 days, queued or sent, marketing only) and banned words."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

import backoffice.db
from backoffice.models import MessageStatus, OutboxMessage, RunStatus, WorkflowRun
from backoffice.services.members.profiles import MemberInput, create_member
from backoffice.services.messaging.messages import TemplateInput, create_template
from backoffice.services.messaging.rules import has_consent, set_consent
from backoffice.services.org.stores import StoreInput, create_store
from backoffice.workflows.campaigns.lifecycle import (
    WorkflowInput,
    create_workflow,
    publish_workflow,
)
from backoffice.workflows.engine import advance, start_runs
from tests.unit.workflow_fixtures import chain, node


def _shanghai(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 6, day, hour, minute, tzinfo=UTC) - timedelta(hours=8)


NOON = _shanghai(1, 12)


@pytest.fixture
def shop(session, org, engine, monkeypatch):
    monkeypatch.setattr(backoffice.db, "get_engine", lambda: engine)
    admin = org.actors["admin"]

    def template(marketing: bool = True, channel: str = "outbox", body: str = "{{member.name}}好"):
        return create_template(
            session,
            admin,
            TemplateInput(name="t", body=body, marketing=marketing, channel=channel),
        )

    session.commit()
    return {"admin": admin, "org": org, "template": template}


def _member(session, shop, phone: str, name: str = "会员", store: str = "SH01"):  # noqa: ANN202
    stores = shop["org"].stores
    store_id = stores.get(store) or store
    member = create_member(
        session, shop["admin"], MemberInput(name=name, phone=phone, home_store_id=store_id)
    )
    session.commit()
    return member


def _send(session, shop, template, members, at: datetime, steps: int = 1) -> list[int]:  # noqa: ANN001
    """Publish trigger → N send steps, start one run per member at `at` and advance them."""
    sends = [node(f"m{n}", "action.send_message", template_id=template.id) for n in range(steps)]
    graph = chain(node("t", "trigger.manual"), *sends)
    workflow = create_workflow(session, shop["admin"], WorkflowInput(name="w", graph=graph))
    publish_workflow(session, shop["admin"], workflow.id)
    session.commit()
    ids = start_runs(session, workflow, [m.id for m in members], f"manual:{at.isoformat()}", at)
    session.commit()
    advance(ids, now=lambda: at)
    session.expire_all()
    return ids


def _statuses(session, member) -> list[MessageStatus]:  # noqa: ANN001
    rows = session.exec(
        select(OutboxMessage).where(OutboxMessage.member_id == member.id).order_by(OutboxMessage.id)
    ).all()
    return [r.status for r in rows]


# ---- consent ------------------------------------------------------------------------------


@pytest.mark.parametrize("batch", [True, False], ids=["batch", "single"])
def test_marketing_skips_who_withdrew_consent_for_the_channel(session, shop, batch):
    withdrawn = _member(session, shop, "13900000001")
    other_channel = _member(session, shop, "13900000002")
    regranted = _member(session, shop, "13900000003")
    set_consent(session, withdrawn.id, "outbox", False)
    set_consent(session, other_channel.id, "sms", False)
    set_consent(session, regranted.id, "outbox", False)
    set_consent(session, regranted.id, "outbox", True)
    session.commit()
    assert not has_consent(session, withdrawn.id, "outbox")
    assert has_consent(session, other_channel.id, "outbox")
    assert has_consent(session, regranted.id, "outbox")
    members = [withdrawn, other_channel, regranted]
    marketing = shop["template"]()
    for group in [members] if batch else [[m] for m in members]:
        _send(session, shop, marketing, group, NOON)
    assert [_statuses(session, m) for m in members] == [[], ["sent"], ["sent"]]
    service = shop["template"](marketing=False)  # a service message ignores marketing consent
    _send(session, shop, service, [withdrawn], NOON)
    assert _statuses(session, withdrawn) == ["sent"]


# ---- quiet hours --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("at", "resume"),
    [
        (_shanghai(1, 20, 59), None),
        (_shanghai(1, 21, 0), _shanghai(2, 9)),
        (_shanghai(1, 23, 59), _shanghai(2, 9)),
        (_shanghai(2, 0, 0), _shanghai(2, 9)),
        (_shanghai(2, 8, 59), _shanghai(2, 9)),
        (_shanghai(2, 9, 0), None),
    ],
)
@pytest.mark.parametrize("batch", [True, False], ids=["batch", "single"])
def test_quiet_hours_hold_every_message_until_nine(session, shop, at, resume, batch):
    members = [_member(session, shop, "13900000011"), _member(session, shop, "13900000012")]
    service = shop["template"](marketing=False)  # quiet hours hold service messages too
    if batch:
        ids = _send(session, shop, service, members, at)
    else:
        ids = [i for m in members for i in _send(session, shop, service, [m], at)]
    runs = [session.get(WorkflowRun, i) for i in ids]
    if resume is None:
        assert [_statuses(session, m) for m in members] == [["sent"], ["sent"]]
        assert {r.status for r in runs} == {RunStatus.COMPLETED}
    else:
        assert [_statuses(session, m) for m in members] == [[], []]
        assert {(r.status, r.wake_at) for r in runs} == {(RunStatus.WAITING, resume)}


def test_quiet_hours_follow_the_members_store_time(session, shop):
    london = create_store(
        session, shop["admin"], StoreInput(code="LDN", name="London", timezone="Europe/London")
    )
    session.commit()
    abroad = _member(session, shop, "13900000021", store=london.id)
    home = _member(session, shop, "13900000022")
    at = _shanghai(1, 12)  # 05:00 in London (summer time)
    ids = _send(session, shop, shop["template"](), [abroad, home], at)
    assert _statuses(session, home) == ["sent"] and _statuses(session, abroad) == []
    run = session.get(WorkflowRun, ids[0])
    assert run.wake_at == datetime(2026, 6, 1, 8, 0, tzinfo=UTC)  # 09:00 in London
    evening = datetime(2026, 6, 1, 19, 59, tzinfo=UTC)  # 20:59 in London, 03:59 in Shanghai
    _send(session, shop, shop["template"](marketing=False), [abroad], evening)
    assert _statuses(session, abroad) == ["sent"]


# ---- the frequency cap --------------------------------------------------------------------


@pytest.mark.parametrize("batch", [True, False], ids=["batch", "single"])
def test_marketing_stops_at_three_in_seven_days(session, shop, batch):
    capped = _member(session, shop, "13900000031")
    fresh = _member(session, shop, "13900000032")
    marketing = shop["template"]()
    _send(session, shop, marketing, [capped], NOON - timedelta(days=6, hours=23), steps=3)
    assert _statuses(session, capped) == ["sent"] * 3
    if batch:
        _send(session, shop, marketing, [capped, fresh], NOON)
    else:
        _send(session, shop, marketing, [capped], NOON)
        _send(session, shop, marketing, [fresh], NOON)
    assert _statuses(session, capped) == ["sent"] * 3
    assert _statuses(session, fresh) == ["sent"]
    service = shop["template"](marketing=False)
    _send(session, shop, service, [capped], NOON)
    assert _statuses(session, capped) == ["sent"] * 4  # the cap is for marketing only
    # a week after the first three, the window has moved on
    _send(session, shop, marketing, [capped], NOON + timedelta(days=1, hours=1))
    assert _statuses(session, capped) == ["sent"] * 5


def test_the_cap_counts_the_messages_of_the_same_batch(session, shop):
    member = _member(session, shop, "13900000041")
    _send(session, shop, shop["template"](), [member], NOON, steps=5)
    assert _statuses(session, member) == ["sent"] * 3


def test_the_cap_counts_queued_messages_but_not_blocked_ones(session, shop):
    queued = _member(session, shop, "13900000051")
    blocked = _member(session, shop, "13900000052", name="最高级")
    sms = shop["template"](channel="sms")
    _send(session, shop, sms, [queued], NOON - timedelta(days=1), steps=3)
    assert _statuses(session, queued) == ["queued"] * 3
    _send(session, shop, shop["template"](), [queued], NOON)
    assert _statuses(session, queued) == ["queued"] * 3
    _send(session, shop, shop["template"](), [blocked], NOON - timedelta(days=1), steps=3)
    assert _statuses(session, blocked) == ["blocked"] * 3
    renamed = shop["template"](body="您好")
    _send(session, shop, renamed, [blocked], NOON)
    assert _statuses(session, blocked) == ["blocked"] * 3 + ["sent"]


# ---- banned words -------------------------------------------------------------------------


@pytest.mark.parametrize("batch", [True, False], ids=["batch", "single"])
def test_a_message_that_fills_in_a_banned_word_is_blocked(session, shop, batch):
    banned = _member(session, shop, "13900000061", name="第一品牌")
    clean = _member(session, shop, "13900000062", name="小王")
    template = shop["template"]()
    if batch:
        _send(session, shop, template, [banned, clean], NOON)
    else:
        _send(session, shop, template, [banned], NOON)
        _send(session, shop, template, [clean], NOON)
    assert _statuses(session, banned) == ["blocked"] and _statuses(session, clean) == ["sent"]
    message = session.exec(select(OutboxMessage).where(OutboxMessage.member_id == banned.id)).one()
    assert message.error == "banned words: 第一品牌" and message.sent_at is None


def test_banned_words_in_the_subject_block_too(session, shop):
    member = _member(session, shop, "13900000063", name="国家级")
    email = create_template(
        session,
        shop["admin"],
        TemplateInput(name="e", channel="email", subject="{{member.name}}", body="好"),
    )
    session.commit()
    _send(session, shop, email, [member], NOON)
    assert _statuses(session, member) == ["blocked"]
