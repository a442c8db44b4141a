"""The test run shows the message as the member will read it: the coupon issued before the
message is not really issued, but {{coupon.code}} reads as a code of the real shape."""

from __future__ import annotations

import re

from sqlmodel import func, select

from backoffice.models import Coupon
from backoffice.services.members.profiles import MemberInput, create_member
from backoffice.services.messaging.messages import TemplateInput, create_template
from backoffice.workflows.campaigns.lifecycle import (
    WorkflowInput,
    create_workflow,
    dry_run_workflow,
)
from tests.unit.loyalty_fixtures import setup_programme
from tests.unit.workflow_fixtures import chain, node


def _setup(session, org):  # noqa: ANN001, ANN202
    admin = org.actors["admin"]
    programme = setup_programme(session, admin)
    greeting = create_template(
        session, admin, TemplateInput(name="生日券", body="{{member.name}}，券码 {{coupon.code}}。")
    )
    member = create_member(
        session,
        admin,
        MemberInput(name="小美", phone="13900000066", home_store_id=org.stores["SH01"]),
    )
    return admin, programme, greeting, member


def test_the_preview_fills_the_coupon_code_with_a_sample(session, org):
    admin, programme, greeting, member = _setup(session, org)
    graph = chain(
        node("t", "trigger.manual"),
        node("c", "action.issue_coupon", template_id=programme["amount_off"].id),
        node("m", "action.send_message", template_id=greeting.id),
    )
    workflow = create_workflow(session, admin, WorkflowInput(name="预览", graph=graph))
    result = dry_run_workflow(session, admin, workflow.id, member.id)
    assert re.fullmatch(r"小美，券码 [A-HJ-NP-Z2-9]{10}。", result.messages[0]), result.messages
    assert session.exec(select(func.count()).select_from(Coupon)).one() == 0  # nothing issued


def test_without_a_coupon_step_the_code_stays_empty_as_the_member_would_see_it(session, org):
    admin, _, greeting, member = _setup(session, org)
    graph = chain(
        node("t", "trigger.manual"), node("m", "action.send_message", template_id=greeting.id)
    )
    workflow = create_workflow(session, admin, WorkflowInput(name="无券", graph=graph))
    result = dry_run_workflow(session, admin, workflow.id, member.id)
    assert result.messages == ["小美，券码 。"]
