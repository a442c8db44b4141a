"""Starters take the dialog's choices (name, coupon or points, days, channel, stores) and
open as a ready, valid draft; a refused choice names its field and writes nothing."""

from __future__ import annotations

import pytest
from sqlmodel import func, select

import backoffice.db
from backoffice.errors import ValidationFailed
from backoffice.models import Channel, MessageTemplate, Workflow
from backoffice.services.loyalty.coupons import CouponTemplateInput, create_template
from backoffice.workflows.campaigns.lifecycle import publish_workflow
from backoffice.workflows.campaigns.starters import (
    StarterChoices,
    create_from_starter,
    starter,
    suggested_coupon,
)
from backoffice.workflows.engine import graph_problems
from tests.unit.loyalty_fixtures import setup_programme


@pytest.fixture
def admin(session, org, engine, monkeypatch):  # noqa: ANN001, ANN201
    monkeypatch.setattr(backoffice.db, "get_engine", lambda: engine)
    actor = org.actors["admin"]
    setup_programme(session, actor)
    session.commit()
    return actor


def _config(workflow: Workflow, node_type: str) -> dict:
    return next(n for n in workflow.draft["nodes"] if n["type"] == node_type)["config"]


def test_birthday_uses_the_chosen_coupon_days_and_channel(session, admin, org):
    gift = create_template(
        session, admin, CouponTemplateInput(name="生日护理券", amount_off_cents=5000, valid_days=30)
    )
    sh = org.stores["SH01"]
    workflow = create_from_starter(
        session,
        admin,
        "birthday",
        [sh],
        "zh-CN",
        StarterChoices(name="五月寿星", coupon_template_id=gift.id, days=5, channel="email"),
    )
    assert workflow.name == "五月寿星" and workflow.store_ids == [sh]
    assert _config(workflow, "trigger.birthday") == {"days_before": 5}
    assert _config(workflow, "action.issue_coupon") == {"template_id": gift.id}
    message = session.get(MessageTemplate, _config(workflow, "action.send_message")["template_id"])
    assert message.channel == Channel.EMAIL and "{{coupon.code}}" in message.body
    assert graph_problems(session, workflow.draft) == []
    publish_workflow(session, admin, workflow.id)


def test_the_birthday_dialog_suggests_a_birthday_coupon_when_there_is_one(session, admin):
    first = suggested_coupon(session, "birthday")  # only the generic 满减 and 8折 exist
    gift = create_template(
        session, admin, CouponTemplateInput(name="生日礼券", amount_off_cents=5000, valid_days=30)
    )
    assert first is not None and first != gift.id
    assert suggested_coupon(session, "birthday") == gift.id
    assert suggested_coupon(session, "winback") == first


def test_points_and_days_are_the_chosen_ones(session, admin):
    welcome = create_from_starter(
        session, admin, "welcome", [], "zh-CN", StarterChoices(points=300, channel="sms")
    )
    assert _config(welcome, "action.grant_points")["points"] == 300
    winback = create_from_starter(session, admin, "winback", [], "zh-CN", StarterChoices(days=90))
    assert _config(winback, "trigger.inactive") == {"days": 90}
    assert starter("birthday").asks() == ("coupon", "days", "channel")
    assert starter("welcome").asks() == ("points", "channel")


@pytest.mark.parametrize(
    ("key", "choices", "field"),
    [
        ("birthday", StarterChoices(days=61), "days"),
        ("birthday", StarterChoices(coupon_template_id=999_999), "coupon"),
        ("welcome", StarterChoices(points=0), "points"),
        ("welcome", StarterChoices(channel="fax"), "channel"),
    ],
)
def test_a_refused_choice_names_its_field_and_writes_nothing(session, admin, key, choices, field):
    before = (
        session.exec(select(func.count()).select_from(Workflow)).one(),
        session.exec(select(func.count()).select_from(MessageTemplate)).one(),
    )
    with pytest.raises(ValidationFailed) as caught:
        create_from_starter(session, admin, key, [], "zh-CN", choices)
    assert field in caught.value.errors
    after = (
        session.exec(select(func.count()).select_from(Workflow)).one(),
        session.exec(select(func.count()).select_from(MessageTemplate)).one(),
    )
    assert after == before
