"""The campaign builder's domain: palette, generated forms and their validation, canvas
edits, auto-layout, plain-language summaries, starters, the list, goals and conversion."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

import backoffice.db
from backoffice.errors import NotFound, PermissionDenied, ValidationFailed
from backoffice.models import AuditEntry, Sale, WorkflowRun
from backoffice.models.base import utcnow
from backoffice.services.loyalty.sales import SaleInput, record_sale
from backoffice.services.members.profiles import MemberInput, create_member
from backoffice.services.messaging.messages import TemplateInput, create_template
from backoffice.workflows.campaigns import builder as wb
from backoffice.workflows.campaigns.lifecycle import (
    SegmentInput,
    WorkflowInput,
    create_workflow,
    duplicate_workflow,
    publish_workflow,
    save_draft,
    save_graph,
    save_segment,
    trigger_match_count,
    validate_workflow,
    workflow_conversion,
    workflow_overview,
)
from backoffice.workflows.campaigns.starters import STARTERS, create_from_starter
from backoffice.workflows.engine import graph_problems
from backoffice.workflows.nodes import REGISTRY
from backoffice.workflows.schema import NodeSpec
from tests.unit.loyalty_fixtures import setup_programme
from tests.unit.workflow_fixtures import chain, edge, node


@pytest.fixture
def wf(session, org, engine, monkeypatch):
    monkeypatch.setattr(backoffice.db, "get_engine", lambda: engine)
    admin = org.actors["admin"]
    programme = setup_programme(session, admin)
    greeting = create_template(
        session, admin, TemplateInput(name="生日祝福", body="{{member.name}}，生日快乐！")
    )
    session.commit()
    return {"admin": admin, "org": org, "greeting": greeting, **programme}


def _names(session: Session) -> wb.Names:
    return wb.load_names(session)


def test_palette_groups_every_node_type_once_under_its_category():
    groups = wb.palette("en")
    assert [g["category"] for g in groups] == ["trigger", "condition", "action", "flow"]
    assert [g["label"] for g in groups] == ["Triggers", "Conditions", "Actions", "Flow"]
    listed = [item["type"] for g in groups for item in g["items"]]
    assert sorted(listed) == sorted(REGISTRY)
    wait = next(i for g in groups for i in g["items"] if i["type"] == "wait")
    assert wait["label"] == "Wait" and wait["help"]


def test_forms_are_generated_from_each_config_schema():
    specs = {s.name: s for s in wb.field_specs("wait")}
    assert specs["amount"].kind == "number"
    assert (specs["amount"].minimum, specs["amount"].maximum) == (0, 10000)
    assert specs["unit"].kind == "select" and specs["unit"].choices == ["minutes", "hours", "days"]
    message = wb.field_specs("action.send_message")[0]
    assert (message.kind, message.source) == ("select", "message_templates")
    coupon = wb.field_specs("action.issue_coupon")[0]
    assert coupon.source == "coupon_templates"
    assert wb.field_specs("condition")[0].kind == "condition"
    assert wb.field_specs("split")[0].kind == "branches"
    assert {s.name: s.source for s in wb.field_specs("trigger.manual")} == {
        "segment_id": "segments"
    }
    with pytest.raises(NotFound):
        wb.field_specs("trigger.nonsense")


def test_a_webhook_secret_is_sealed_never_shown_and_kept_when_left_empty(session, wf):
    from backoffice.sealed import is_sealed, unseal
    from backoffice.workflows.schema import NodeSpec

    assert {s.name: s.kind for s in wb.field_specs("action.call_webhook")} == {
        "url": "text",
        "secret": "secret",
    }
    values = {"url": "https://crm.example/hook", "secret": "whsec_typed"}
    config = wb.build_config(session, "action.call_webhook", values)
    assert is_sealed(config["secret"]) and unseal(config["secret"]) == "whsec_typed"
    node = NodeSpec(id="a1", type="action.call_webhook", config=config)
    assert wb.form_values(node) == {"url": "https://crm.example/hook", "secret": ""}
    assert wb.secret_is_set(node)
    # The URL edited, the secret left empty: the sealed one stays.
    kept = wb.build_config(
        session,
        "action.call_webhook",
        {"url": "https://crm.example/v2", "secret": ""},
        current=config,
    )
    assert kept == {"url": "https://crm.example/v2", "secret": config["secret"]}
    from backoffice.workflows.nodes import REGISTRY, WebhookConfig

    prepared = REGISTRY["action.call_webhook"].prepare(
        _webhook_ctx(), WebhookConfig.model_validate(kept)
    )
    assert prepared["secret"] == "whsec_typed"  # the engine signs with the plain secret


def _webhook_ctx():  # noqa: ANN202
    from types import SimpleNamespace

    return SimpleNamespace(
        workflow=SimpleNamespace(id=1),
        run=SimpleNamespace(id=1),
        node_id="a1",
        member=SimpleNamespace(id=1, member_no="M1", name="x"),
        key="wf1:1",
    )


def test_reference_selects_hold_the_real_rows(session, wf):
    options = wb.reference_options(session, wf["admin"], "en")
    assert {"value": str(wf["greeting"].id), "label": "生日祝福"} in options["message_templates"]
    assert [o["value"] for o in options["tiers"]] == ["BASIC", "SILVER", "GOLD"]
    assert len(options["coupon_templates"]) == 2
    owner_stores = wb.reference_options(session, wf["org"].actors["owner"], "en")["stores"]
    assert [o["label"] for o in owner_stores] != [o["label"] for o in options["stores"]]


def test_side_panel_input_is_validated_field_by_field(session, wf):
    with pytest.raises(ValidationFailed) as bad:
        wb.build_config(session, "wait", {"amount": "three", "unit": "days"})
    assert bad.value.errors == {"amount": "error.number"}
    with pytest.raises(ValidationFailed) as big:
        wb.build_config(session, "wait", {"amount": "20000", "unit": "days"})
    assert big.value.errors == {"amount": "error.number_between"}
    assert big.value.params == {"min": 0, "max": 10000}
    with pytest.raises(ValidationFailed) as unit:
        wb.build_config(session, "wait", {"amount": "3", "unit": "weeks"})
    assert unit.value.errors == {"unit": "error.choice"}
    assert wb.build_config(session, "wait", {"amount": "3", "unit": "days", "until_field": ""}) == {
        "amount": 3,
        "unit": "days",
        "until_field": "",
    }
    with pytest.raises(ValidationFailed) as unknown:
        wb.build_config(session, "action.send_message", {"template_id": "999999"})
    assert unknown.value.errors == {"template_id": "error.template_unknown"}
    with pytest.raises(ValidationFailed) as empty:
        wb.build_config(session, "action.send_message", {"template_id": ""})
    assert empty.value.errors == {"template_id": "error.template_unknown"}


def test_condition_rows_take_yuan_and_read_back_in_plain_language(session, wf):
    config = wb.build_config(
        session,
        "condition",
        {},
        match="all",
        rules=[
            {"kind": "activity", "field": "spend", "op": "gte", "value": "5000", "days": "90"},
            {"kind": "tag", "field": "", "op": "eq", "value": "VIP", "days": "30"},
        ],
    )
    assert config["condition"]["rules"][0]["value"] == 500000
    spec = NodeSpec(id="c1", type="condition", config=config)
    assert wb.describe(spec, "en", _names(session)) == (
        "If spent ≥ ¥5,000.00 in 90 days and has tag “VIP”"
    )
    assert wb.rule_rows(spec)[1][0]["value"] == "5000.00"
    with pytest.raises(ValidationFailed) as bad:
        wb.build_config(
            session,
            "condition",
            {},
            rules=[
                {"kind": "activity", "field": "visits", "op": "gte", "value": "x", "days": "90"}
            ],
        )
    assert bad.value.errors == {"rule_0": "error.number"}
    with pytest.raises(ValidationFailed) as none:
        wb.build_config(session, "condition", {}, rules=[])
    assert none.value.errors == {"condition": "error.condition_empty"}


def test_summaries_say_what_each_node_does(session, wf):
    names = _names(session)
    said = {
        "wait": wb.describe(NodeSpec(id="f1", type="wait", config={"amount": 3}), "en", names),
        "send": wb.describe(
            NodeSpec(
                id="a1",
                type="action.send_message",
                config={"template_id": wf["greeting"].id},
            ),
            "en",
            names,
        ),
        "points": wb.describe(
            NodeSpec(id="a2", type="action.grant_points", config={"points": 50}), "zh-CN", names
        ),
        "tier": wb.describe(
            NodeSpec(id="a3", type="action.set_tier", config={"tier_code": "GOLD"}), "en", names
        ),
        "unset": wb.describe(NodeSpec(id="a4", type="action.add_tag"), "en", names),
        "split": wb.describe(NodeSpec(id="f2", type="split"), "en", names),
    }
    assert said == {
        "wait": "Wait 3 days",
        "send": "Send “生日祝福”",
        "points": "赠送 50 积分",
        "tier": "Move to 金卡",
        "unset": "Finish the settings on the right",
        "split": "a 50% / b 50%",
    }


def test_canvas_edits_move_delete_and_connect_but_never_invent_config():
    draft = chain(
        node("t1", "trigger.birthday"),
        node("c1", "condition"),
        node("a1", "action.grant_points", points=10),
    )
    canvas = {
        "nodes": [
            {"id": "t1", "position": {"x": 15, "y": 30}},
            {"id": "c1", "position": {"x": 15, "y": 180}, "config": {"evil": True}},
            {"id": "zz", "position": {"x": 0, "y": 0}},  # never existed: ignored
        ],
        "edges": [
            {"source": "t1", "source_handle": "out", "target": "c1"},
            {"source": "t1", "source_handle": "out", "target": "c1"},  # twice: kept once
            {"source": "c1", "source_handle": "yes", "target": "c1"},  # to itself: dropped
            {"source": "c1", "source_handle": "no", "target": "a1"},  # a1 deleted: dropped
        ],
    }
    graph = wb.apply_canvas(draft, canvas)
    assert [n["id"] for n in graph["nodes"]] == ["t1", "c1"]
    assert graph["nodes"][1]["position"] == {"x": 15.0, "y": 180.0}
    assert graph["nodes"][1]["config"] == {}
    assert graph["edges"] == [
        {"id": "t1:out->c1", "source": "t1", "source_handle": "out", "target": "c1"}
    ]
    with pytest.raises(ValidationFailed):
        wb.apply_canvas(draft, {"nodes": [{"id": "t1", "position": {"x": "left"}}]})


def test_dropped_nodes_get_fresh_ids_and_default_config():
    graph, first = wb.add_node({}, "action.grant_points", 10, 20)
    graph, second = wb.add_node(graph, "action.grant_points", 10, 200)
    graph, trigger = wb.add_node(graph, "trigger.birthday", 0, 0)
    assert (first, second, trigger) == ("a1", "a2", "t1")
    assert graph["nodes"][0]["config"] == {"points": 100, "note": ""}
    with pytest.raises(ValidationFailed):
        wb.add_node(graph, "action.rm_rf", 0, 0)


def test_renaming_split_branches_drops_the_edges_of_branches_that_are_gone():
    draft = {
        "nodes": [node("f1", "split"), node("a1", "action.add_tag"), node("a2", "stop")],
        "edges": [edge("f1", "a1", "a"), edge("f1", "a2", "b")],
    }
    config = {"branches": [{"name": "a", "percent": 70}, {"name": "c", "percent": 30}]}
    graph = wb.set_node_config(draft, "f1", config)
    assert [(e["source_handle"], e["target"]) for e in graph["edges"]] == [("a", "a1")]
    assert wb.remove_node(graph, "a1")["edges"] == []


def test_auto_layout_puts_the_trigger_on_top_and_branches_side_by_side():
    draft = {
        "nodes": [
            node("a9", "action.add_tag", tag="x"),  # not connected
            node("t1", "trigger.birthday"),
            node("c1", "condition"),
            node("a1", "action.grant_points"),
            node("a2", "stop"),
        ],
        "edges": [edge("t1", "c1"), edge("c1", "a2", "no"), edge("c1", "a1", "yes")],
    }
    at = {n["id"]: n["position"] for n in wb.auto_layout(draft)["nodes"]}
    assert at["t1"]["y"] < at["c1"]["y"] < at["a1"]["y"] == at["a2"]["y"]
    assert at["a1"]["x"] < at["c1"]["x"] < at["a2"]["x"]  # yes on the left, no on the right
    assert at["a9"]["x"] > at["a2"]["x"]


def test_canvas_view_marks_problems_counters_and_the_test_path(session, wf):
    draft = {
        "nodes": [node("t1", "trigger.birthday"), node("a1", "action.send_message")],
        "edges": [],
    }
    problems = graph_problems(session, draft)
    view = wb.canvas_view(
        draft, "en", _names(session), problems=problems, path=["t1"], selected="a1", revision=4
    )
    by_id = {n["id"]: n for n in view["nodes"]}
    assert "Nothing follows the trigger" in by_id["t1"]["problems"]
    assert by_id["a1"]["problems"]  # unknown template, not connected
    assert by_id["t1"]["highlight"] and not by_id["a1"]["highlight"]
    # nothing connected: the output is drawn as the run's end
    assert by_id["t1"]["handles"] == [{"id": "out", "label": "", "end": True}]
    assert view["selected"] == "a1" and view["revision"] == 4
    cond = wb.canvas_view({"nodes": [node("c1", "condition")]}, "zh-CN", _names(session))
    assert cond["nodes"][0]["handles"] == [
        {"id": "yes", "label": "是", "end": True},
        {"id": "no", "label": "否", "end": True},
    ]
    assert cond["nodes"][0]["end_label"] == "结束"


@pytest.mark.parametrize("key", [s.key for s in STARTERS])
def test_every_starter_opens_as_a_valid_draft(session, wf, key):
    workflow = create_from_starter(session, wf["admin"], key, [], "zh-CN")
    assert graph_problems(session, workflow.draft) == []
    assert workflow.goal_kind == "sale"
    publish_workflow(session, wf["admin"], workflow.id)


def test_starters_reuse_their_message_and_respect_the_owners_stores(session, wf):
    owner = wf["org"].actors["owner"]
    sh = wf["org"].stores["SH01"]
    first = create_from_starter(session, owner, "birthday", [sh], "en")
    again = create_from_starter(session, owner, "birthday", [sh], "en")

    def template_of(w):  # noqa: ANN001, ANN202
        return next(n for n in w.draft["nodes"] if n["type"] == "action.send_message")["config"]

    assert template_of(first) == template_of(again)
    with pytest.raises(PermissionDenied):
        create_from_starter(session, owner, "birthday", [wf["org"].stores["GZ01"]], "en")
    with pytest.raises(PermissionDenied):
        create_from_starter(session, wf["org"].actors["reception"], "welcome", [sh], "en")


def test_graph_edits_are_audited_with_the_diff_but_moves_are_not(session, wf):
    admin = wf["admin"]
    draft = chain(node("t1", "trigger.birthday"), node("a1", "action.grant_points", points=5))
    workflow = create_workflow(session, admin, WorkflowInput(name="x", graph=draft))
    before = len(session.exec(select(AuditEntry)).all())
    moved = wb.apply_canvas(
        workflow.draft,
        {
            "nodes": [{"id": "t1", "position": {"x": 99, "y": 99}}, {"id": "a1"}],
            "edges": draft["edges"],
        },
    )
    save_graph(session, admin, workflow.id, moved)
    assert len(session.exec(select(AuditEntry)).all()) == before
    grown, _ = wb.add_node(moved, "stop", 0, 300)
    save_graph(session, admin, workflow.id, grown)
    entry = session.exec(select(AuditEntry).order_by(AuditEntry.id.desc())).first()  # type: ignore[union-attr]
    assert entry.action == "workflows.edit" and entry.changes["nodes_added"] == ["f1"]
    with pytest.raises(PermissionDenied):
        save_graph(session, wf["org"].actors["auditor"], workflow.id, grown)


def test_goal_settings_are_checked_and_duplicates_stay_in_scope(session, wf):
    admin, owner = wf["admin"], wf["org"].actors["owner"]
    sh = wf["org"].stores["SH01"]
    hq = create_workflow(session, admin, WorkflowInput(name="总部"))
    with pytest.raises(ValidationFailed) as bad:
        save_draft(session, admin, hq.id, WorkflowInput(name="总部", goal_kind="sale", goal_days=0))
    assert bad.value.errors == {"goal_days": "error.number_between"}
    with pytest.raises(ValidationFailed):
        save_draft(session, admin, hq.id, WorkflowInput(name="总部", goal_kind="visit"))
    mine = create_workflow(
        session, owner, WorkflowInput(name="门店", store_ids=[sh], goal_kind="sale")
    )
    copy = duplicate_workflow(session, owner, mine.id, "门店 副本")
    assert (copy.store_ids, copy.goal_kind, copy.name) == ([sh], "sale", "门店 副本")
    with pytest.raises(NotFound):
        duplicate_workflow(session, owner, hq.id, "偷看")


def _member(session, wf, phone):  # noqa: ANN001, ANN202
    return create_member(
        session,
        wf["admin"],
        MemberInput(name="会员", phone=phone, home_store_id=wf["org"].stores["SH01"]),
    )


def test_conversion_counts_sales_inside_the_goal_window_once(session, wf):
    admin = wf["admin"]
    sh = wf["org"].stores["SH01"]
    workflow = create_workflow(
        session,
        admin,
        WorkflowInput(
            name="唤醒",
            goal_kind="sale",
            goal_days=7,
            graph=chain(node("t1", "trigger.manual"), node("a1", "stop")),
        ),
    )
    publish_workflow(session, admin, workflow.id)
    a, b, c = (_member(session, wf, p) for p in ("13800000001", "13800000002", "13800000003"))
    now = utcnow()
    for member, started in ((a, now - timedelta(days=20)), (b, now - timedelta(days=20)), (c, now)):
        session.add(
            WorkflowRun(
                workflow_id=workflow.id,
                version=1,
                member_id=member.id,
                trigger_key="manual:test",
                started_at=started,
                status="completed",
            )
        )
    for member, amount in ((a, 10000), (a, 5000), (b, 7000), (c, 3000)):
        record_sale(
            session, admin, SaleInput(member_id=member.id, store_id=sh, amount_cents=amount)
        )
    sales = session.exec(select(Sale).order_by(Sale.id)).all()
    sales[0].created_at = now - timedelta(days=18)  # a: inside the window
    sales[1].created_at = now - timedelta(days=16)  # a: second sale, also inside
    sales[2].created_at = now - timedelta(days=5)  # b: 15 days later, outside
    session.commit()  # c: bought right after entering
    result = workflow_conversion(session, admin, workflow.id)
    assert (result.entered, result.converted) == (3, 2)
    assert result.revenue_cents == sales[0].due_cents + sales[1].due_cents + sales[3].due_cents
    assert round(result.rate, 4) == round(2 / 3, 4)
    row = next(r for r in workflow_overview(session, admin) if r.id == workflow.id)
    assert row.runs_7d == 1 and row.conversion.converted == 2
    assert row.trigger_type == "trigger.manual" and row.version == 1


def test_the_list_filters_and_scopes_like_the_rest(session, wf):
    admin, owner = wf["admin"], wf["org"].actors["owner"]
    sh = wf["org"].stores["SH01"]
    create_workflow(
        session, admin, WorkflowInput(name="总部生日", graph=chain(node("t1", "trigger.birthday")))
    )
    create_workflow(
        session,
        owner,
        WorkflowInput(
            name="门店欢迎", store_ids=[sh], graph=chain(node("t1", "trigger.member_created"))
        ),
    )
    assert [r.name for r in workflow_overview(session, owner)] == ["门店欢迎"]
    assert [r.name for r in workflow_overview(session, admin, trigger="trigger.birthday")] == [
        "总部生日"
    ]
    assert [r.name for r in workflow_overview(session, admin, query="欢迎")] == ["门店欢迎"]
    assert workflow_overview(session, admin, status="published") == []
    with pytest.raises(PermissionDenied):
        workflow_overview(session, wf["org"].actors["reception"])


def test_publish_confirmation_counts_the_segment_a_manual_trigger_matches(session, wf):
    admin, owner = wf["admin"], wf["org"].actors["owner"]
    for phone in ("13800000011", "13800000012"):
        _member(session, wf, phone)
    create_member(
        session,
        admin,
        MemberInput(name="广州", phone="13800000013", home_store_id=wf["org"].stores["GZ01"]),
    )
    segment = save_segment(
        session,
        admin,
        SegmentInput(name="全部", condition={"match": "all", "rules": []}),
    )
    workflow = create_workflow(
        session,
        admin,
        WorkflowInput(
            name="手动",
            graph=chain(node("t1", "trigger.manual", segment_id=segment.id), node("a1", "stop")),
        ),
    )
    session.commit()
    everyone = trigger_match_count(session, admin, workflow.id)
    assert everyone is not None and everyone >= 3
    birthday = create_workflow(
        session, admin, WorkflowInput(name="生日", graph=chain(node("t1", "trigger.birthday")))
    )
    assert trigger_match_count(session, admin, birthday.id) is None
    with pytest.raises(NotFound):
        trigger_match_count(session, owner, workflow.id)
    assert validate_workflow(session, admin, workflow.id) == []
