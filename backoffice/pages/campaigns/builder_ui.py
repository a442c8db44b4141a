"""The builder page's components: canvas, side panel, dialogs, toolbar and run history
(state and handlers in `workflow_builder`)."""

from __future__ import annotations

from typing import Any

import reflex as rx

from backoffice.components.dialogs import (
    confirm_dialog,
    dialog_buttons,
    dialog_shell,
    form_dialog,
)
from backoffice.components.flow import flow_canvas
from backoffice.components.tables import Column, data_table
from backoffice.pages.campaigns.builder import RUN_STATUSES, BuilderState
from backoffice.pages.layout import shell
from backoffice.pages.session import SessionState, tr

# ---- components ---------------------------------------------------------------------------


def _select(value: Any, options: Any, on_change: Any, **props: Any) -> rx.Component:
    """A select over [value, label] pairs."""
    trigger_props = {k: props.pop(k) for k in ("id", "class_name") if k in props}
    return rx.select.root(
        rx.select.trigger(width="100%", **trigger_props),
        rx.select.content(rx.foreach(options, lambda o: rx.select.item(o[1], value=o[0]))),
        value=value,
        on_change=on_change,
        size="1",
        **props,
    )


def _field(row: rx.Var) -> rx.Component:
    name = row["name"].to(str)
    control = rx.match(
        row["kind"].to(str),
        (
            "select",
            rx.select.root(
                rx.select.trigger(width="100%", id="cfg-" + name),
                rx.select.content(
                    rx.foreach(
                        row["options"].to(list[dict[str, str]]),
                        lambda o: rx.select.item(o["label"], value=o["value"]),
                    )
                ),
                value=row["value"].to(str),
                on_change=lambda v: BuilderState.set_value(name, v),
                disabled=BuilderState.read_only,
                size="2",
            ),
        ),
        rx.input(
            value=row["value"].to(str),
            on_change=lambda v: BuilderState.set_value(name, v),
            id="cfg-" + name,
            type=rx.match(
                row["kind"].to(str), ("number", "number"), ("secret", "password"), "text"
            ),
            auto_complete="off",
            read_only=BuilderState.read_only,
            width="100%",
        ),
    )
    return rx.cond(
        (row["kind"].to(str) == "condition") | (row["kind"].to(str) == "branches"),
        rx.fragment(),
        rx.vstack(
            rx.text(row["label"].to(str), size="2", weight="medium"),
            control,
            rx.cond(
                row["hint"].to(str) != "",
                rx.text(row["hint"].to(str), size="1", color_scheme="gray"),
            ),
            rx.cond(
                row["error"].to(str) != "",
                rx.text(
                    row["error"].to(str), size="1", color_scheme="red", class_name="field-error"
                ),
            ),
            spacing="1",
            width="100%",
            align="stretch",
        ),
    )


def _rule(row: rx.Var, index: rx.Var, group: str = "node") -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                _select(
                    row["kind"].to(str),
                    BuilderState.rule_kinds,
                    lambda v: BuilderState.set_rule(group, index, "kind", v),
                    class_name="rule-kind",
                ),
                rx.icon_button(
                    rx.icon("x", size=12),
                    size="1",
                    variant="ghost",
                    color_scheme="gray",
                    on_click=BuilderState.remove_rule(group, index),
                    class_name="rule-remove",
                ),
                width="100%",
            ),
            rx.cond(
                row["has_field"].to(bool),
                _select(
                    row["field"].to(str),
                    row["fields"].to(list[list[str]]),
                    lambda v: BuilderState.set_rule(group, index, "field", v),
                    class_name="rule-field",
                ),
            ),
            rx.cond(
                row["has_value"].to(bool),
                rx.hstack(
                    rx.box(
                        _select(
                            row["op"].to(str),
                            BuilderState.op_options,
                            lambda v: BuilderState.set_rule(group, index, "op", v),
                            class_name="rule-op",
                        ),
                        width="90px",
                    ),
                    rx.input(
                        value=row["value"].to(str),
                        on_change=lambda v: BuilderState.set_rule(group, index, "value", v),
                        class_name="rule-value",
                        size="1",
                        width="100%",
                    ),
                    width="100%",
                ),
            ),
            rx.cond(
                row["has_days"].to(bool),
                rx.hstack(
                    rx.text(tr("builder.within_days"), size="1"),
                    rx.input(
                        value=row["days"].to(str),
                        on_change=lambda v: BuilderState.set_rule(group, index, "days", v),
                        class_name="rule-days",
                        size="1",
                        width="70px",
                    ),
                    rx.text(tr("unit.days"), size="1"),
                    align="center",
                ),
            ),
            rx.cond(
                row["hint"].to(str) != "",
                rx.text(row["hint"].to(str), size="1", color_scheme="gray"),
            ),
            rx.cond(
                row["error"].to(str) != "",
                rx.text(
                    row["error"].to(str), size="1", color_scheme="red", class_name="field-error"
                ),
            ),
            spacing="1",
            width="100%",
        ),
        size="1",
        class_name="rule-row",
        width="100%",
    )


def _branch(row: rx.Var, index: rx.Var) -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.input(
                value=row["name"],
                on_change=lambda v: BuilderState.set_branch(index, "name", v),
                size="1",
                width="90px",
                class_name="branch-name",
            ),
            rx.input(
                value=row["percent"],
                on_change=lambda v: BuilderState.set_branch(index, "percent", v),
                size="1",
                width="70px",
                class_name="branch-percent",
            ),
            rx.text("%", size="1"),
            rx.icon_button(
                rx.icon("x", size=12),
                size="1",
                variant="ghost",
                color_scheme="gray",
                on_click=BuilderState.remove_branch(index),
            ),
            align="center",
        ),
        rx.cond(row["error"] != "", rx.text(row["error"], size="1", color_scheme="red")),
        spacing="1",
    )


def node_panel() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.heading(BuilderState.node_label, size="3", id="panel-title"),
            rx.spacer(),
            rx.badge(BuilderState.selected, variant="outline"),
            width="100%",
            align="center",
        ),
        rx.text(BuilderState.node_help, size="1", color_scheme="gray"),
        rx.foreach(BuilderState.fields, _field),
        rx.cond(
            (
                (BuilderState.node_type == "trigger.manual")
                | (BuilderState.node_type == "trigger.schedule")
            )
            & ~BuilderState.read_only,
            rx.button(
                rx.icon("plus", size=12),
                tr("builder.new_segment"),
                size="1",
                variant="soft",
                on_click=BuilderState.open_segment,
                id="new-segment",
            ),
        ),
        rx.cond(
            (BuilderState.node_type == "action.send_message") & ~BuilderState.read_only,
            rx.hstack(
                rx.button(
                    rx.icon("plus", size=12),
                    tr("builder.new_message"),
                    size="1",
                    variant="soft",
                    on_click=BuilderState.open_message(True),
                    id="new-message",
                ),
                rx.button(
                    rx.icon("pencil", size=12),
                    tr("builder.edit_message"),
                    size="1",
                    variant="soft",
                    on_click=BuilderState.open_message(False),
                    id="edit-message",
                ),
                spacing="2",
            ),
        ),
        rx.cond(
            BuilderState.node_type == "condition",
            rx.vstack(
                rx.hstack(
                    rx.text(tr("builder.match"), size="2"),
                    _select(
                        BuilderState.match,
                        [["all", tr("builder.match_all")], ["any", tr("builder.match_any")]],
                        BuilderState.set_match,
                        id="rule-match",
                    ),
                    align="center",
                    width="100%",
                ),
                rx.foreach(BuilderState.rules, lambda r, i: _rule(r, i, "node")),
                rx.button(
                    rx.icon("plus", size=12),
                    tr("builder.add_rule"),
                    size="1",
                    variant="soft",
                    on_click=BuilderState.add_rule("node"),
                    id="add-rule",
                    disabled=BuilderState.read_only,
                ),
                spacing="2",
                width="100%",
            ),
        ),
        rx.cond(
            BuilderState.node_type == "split",
            rx.vstack(
                rx.foreach(BuilderState.branches, _branch),
                rx.button(
                    rx.icon("plus", size=12),
                    tr("builder.add_branch"),
                    size="1",
                    variant="soft",
                    on_click=BuilderState.add_branch,
                    disabled=BuilderState.read_only,
                ),
                spacing="2",
            ),
        ),
        rx.cond(
            BuilderState.group_error != "",
            rx.text(
                BuilderState.group_error, size="1", color_scheme="red", class_name="field-error"
            ),
        ),
        rx.cond(
            ~BuilderState.read_only,
            rx.hstack(
                rx.button(
                    tr("builder.apply"), on_click=BuilderState.apply_config, id="apply-config"
                ),
                rx.button(
                    rx.icon("trash-2", size=14),
                    tr("builder.delete_node"),
                    variant="soft",
                    color_scheme="red",
                    on_click=BuilderState.delete_selected,
                    id="delete-node",
                ),
                spacing="2",
            ),
        ),
        spacing="3",
        width="100%",
        align="stretch",
        id="node-panel",
    )


def overview_panel() -> rx.Component:
    return rx.vstack(
        rx.text(tr("builder.pick_node"), size="2", color_scheme="gray"),
        rx.card(
            rx.vstack(
                rx.text(tr("workflow.goal"), weight="bold", size="2"),
                rx.text(BuilderState.conversion["goal"], size="2"),
                rx.hstack(
                    rx.vstack(
                        rx.text(tr("builder.entered"), size="1", color_scheme="gray"),
                        rx.text(BuilderState.conversion["entered"], weight="bold"),
                        spacing="0",
                    ),
                    rx.vstack(
                        rx.text(tr("builder.converted"), size="1", color_scheme="gray"),
                        rx.text(BuilderState.conversion["converted"], weight="bold"),
                        spacing="0",
                    ),
                    rx.vstack(
                        rx.text(tr("workflow.conversion"), size="1", color_scheme="gray"),
                        rx.text(
                            BuilderState.conversion["rate"], weight="bold", id="conversion-rate"
                        ),
                        spacing="0",
                    ),
                    rx.vstack(
                        rx.text(tr("builder.revenue"), size="1", color_scheme="gray"),
                        rx.text(BuilderState.conversion["revenue"], weight="bold", id="attributed"),
                        spacing="0",
                    ),
                    spacing="4",
                ),
                rx.text(tr("builder.last_30_days"), size="1", color_scheme="gray"),
                spacing="2",
            ),
            width="100%",
        ),
        spacing="3",
        width="100%",
    )


def problems_list() -> rx.Component:
    return rx.cond(
        BuilderState.problems.length() > 0,
        rx.callout.root(
            rx.callout.icon(rx.icon("triangle-alert")),
            rx.vstack(
                rx.text(tr("builder.problems"), weight="bold", size="2"),
                rx.foreach(
                    BuilderState.problems,
                    lambda p: rx.hstack(
                        rx.badge(p["where"], color_scheme="red", variant="outline"),
                        rx.text(
                            p["text"],
                            size="2",
                            on_click=BuilderState.node_selected(p["node_id"]),
                            class_name="problem-item",
                            cursor="pointer",
                        ),
                        spacing="2",
                        align="center",
                    ),
                ),
                spacing="1",
            ),
            color_scheme="red",
            id="problems",
            width="100%",
        ),
        rx.callout(
            tr("builder.no_problems"),
            icon="circle-check",
            color_scheme="green",
            size="1",
            id="no-problems",
        ),
    )


def segment_dialog() -> rx.Component:
    return dialog_shell(
        tr("builder.new_segment"),
        rx.vstack(
            rx.input(
                value=BuilderState.seg_name,
                on_change=BuilderState.set_seg_name,
                placeholder=tr("builder.seg_name"),
                id="seg-name",
            ),
            rx.hstack(
                rx.text(tr("builder.match"), size="2"),
                _select(
                    BuilderState.seg_match,
                    [["all", tr("builder.match_all")], ["any", tr("builder.match_any")]],
                    BuilderState.set_seg_match,
                ),
                align="center",
            ),
            rx.foreach(BuilderState.seg_rules, lambda r, i: _rule(r, i, "segment")),
            rx.hstack(
                rx.button(
                    rx.icon("plus", size=12),
                    tr("builder.add_rule"),
                    size="1",
                    variant="soft",
                    on_click=BuilderState.add_rule("segment"),
                ),
                rx.button(
                    rx.icon("users", size=12),
                    tr("builder.seg_count_button"),
                    size="1",
                    variant="soft",
                    on_click=BuilderState.count_segment,
                    id="seg-count",
                ),
                rx.text(BuilderState.seg_count, size="2", id="seg-count-text"),
                align="center",
            ),
            _error_text(BuilderState.seg_error),
            dialog_buttons(
                tr("common.cancel"),
                tr("common.save"),
                on_confirm=BuilderState.save_new_segment,
                confirm_id="save-segment",
            ),
            spacing="2",
            align="stretch",
            max_height="70vh",
            overflow_y="auto",
        ),
        open=BuilderState.seg_open,
        on_open_change=BuilderState.set_seg_open,
        max_width="560px",
    )


def _error_text(message: rx.Var) -> rx.Component:
    return rx.cond(
        message != "",
        rx.text(message, color_scheme="red", size="1", class_name="field-error"),
    )


def message_dialog() -> rx.Component:
    return form_dialog(
        BuilderState.msg_title,
        rx.text(tr("builder.msg_name"), size="2"),
        rx.input(
            name="name",
            default_value=BuilderState.msg_name,
            id="msg-name",
            key=BuilderState.msg_seq.to_string() + "n",
        ),
        _error_text(BuilderState.msg_error_name),
        rx.text(tr("builder.msg_channel"), size="2"),
        _select(
            BuilderState.msg_channel,
            [
                ["outbox", tr("builder.channel_outbox")],
                ["sms", tr("channel.sms")],
                ["email", tr("channel.email")],
            ],
            BuilderState.set_msg_channel,
            id="msg-channel",
        ),
        rx.cond(
            BuilderState.msg_channel == "email",
            rx.input(
                name="subject",
                default_value=BuilderState.msg_subject,
                placeholder=tr("builder.msg_subject"),
            ),
        ),
        rx.text(tr("builder.msg_body"), size="2"),
        rx.text_area(
            name="body",
            default_value=BuilderState.msg_body,
            id="msg-body",
            rows="5",
            key=BuilderState.msg_seq.to_string() + "b",
        ),
        rx.text(tr("builder.msg_variables"), size="1", color_scheme="gray"),
        rx.code(BuilderState.msg_variables, size="1", white_space="normal"),
        _error_text(BuilderState.msg_error_body),
        rx.hstack(
            rx.checkbox(
                checked=BuilderState.msg_marketing,
                on_change=BuilderState.set_msg_marketing,
                id="msg-marketing",
            ),
            rx.text(tr("builder.msg_marketing"), size="2"),
            align="center",
        ),
        on_submit=BuilderState.save_message,
        save_label=tr("common.save"),
        cancel_label=tr("common.cancel"),
        save_id="save-message",
        open=BuilderState.msg_open,
        on_open_change=BuilderState.set_msg_open,
        max_width="560px",
    )


def settings_dialog() -> rx.Component:
    return form_dialog(
        tr("builder.settings"),
        rx.text(tr("workflow.name"), size="2"),
        rx.input(name="name", default_value=BuilderState.name, id="settings-name"),
        rx.text(tr("workflow.description"), size="2"),
        rx.text_area(name="description", default_value=BuilderState.description),
        rx.text(tr("workflow.goal"), size="2"),
        rx.select.root(
            rx.select.trigger(width="100%"),
            rx.select.content(
                rx.select.item(tr("builder.goal_sale"), value="sale"),
                rx.select.item(tr("workflow.no_goal"), value="none"),
            ),
            name="goal_kind",
            default_value=rx.cond(BuilderState.goal_kind == "sale", "sale", "none"),
        ),
        rx.text(tr("builder.goal_days"), size="2"),
        rx.input(name="goal_days", default_value=BuilderState.goal_days, type="number"),
        rx.text(tr("builder.goal_help"), size="1", color_scheme="gray"),
        rx.cond(
            BuilderState.settings_error != "",
            rx.text(BuilderState.settings_error, color_scheme="red", size="2"),
        ),
        on_submit=BuilderState.save_settings,
        save_label=tr("common.save"),
        cancel_label=tr("common.cancel"),
        save_id="save-settings",
        open=BuilderState.settings_open,
        on_open_change=BuilderState.set_settings_open,
        max_width=None,
    )


def _test_result(item: rx.Var) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.text(item["member"].to(str), weight="bold", size="2"),
            rx.text(item["path"].to(str), size="1", class_name="test-path"),
            rx.foreach(
                item["messages"].to(list[str]),
                lambda m: rx.callout(m, icon="message-square", size="1", class_name="test-message"),
            ),
            rx.cond(
                item["error"].to(str) != "",
                rx.text(item["error"].to(str), color_scheme="red", size="1"),
            ),
            spacing="1",
        ),
        class_name="test-result",
        width="100%",
    )


def test_dialog() -> rx.Component:
    return dialog_shell(
        tr("builder.test_run"),
        rx.vstack(
            rx.form(
                rx.hstack(
                    rx.input(
                        name="q",
                        placeholder=tr("builder.find_member"),
                        id="test-query",
                        width="100%",
                    ),
                    rx.button(tr("common.search"), type="submit", id="test-search"),
                    width="100%",
                ),
                on_submit=BuilderState.find_test_member,
            ),
            rx.foreach(
                BuilderState.test_candidates,
                lambda c: rx.hstack(
                    rx.text(c["label"], size="2"),
                    rx.spacer(),
                    rx.button(
                        tr("builder.test_this"),
                        size="1",
                        on_click=BuilderState.test_member(c["id"]),
                        class_name="test-candidate",
                    ),
                    width="100%",
                ),
            ),
            rx.divider(),
            rx.hstack(
                rx.box(
                    _select(
                        BuilderState.test_segment,
                        BuilderState.segment_options,
                        BuilderState.set_test_segment,
                        id="test-segment",
                    ),
                    width="220px",
                ),
                rx.icon_button(
                    rx.icon("plus", size=14),
                    variant="soft",
                    on_click=BuilderState.open_segment,
                    title="+",
                ),
                rx.button(
                    tr("builder.sample_10"),
                    on_click=BuilderState.test_sample,
                    variant="soft",
                    id="test-sample",
                ),
                align="center",
            ),
            rx.cond(
                BuilderState.test_error != "",
                rx.text(BuilderState.test_error, color_scheme="red", size="2", id="test-error"),
            ),
            rx.foreach(BuilderState.test_results, _test_result),
            rx.hstack(
                rx.button(
                    tr("builder.clear_path"), variant="soft", on_click=BuilderState.clear_test
                ),
                rx.dialog.close(rx.button(tr("common.close"), id="close-test")),
                justify="end",
                width="100%",
            ),
            spacing="3",
            align="stretch",
            max_height="70vh",
            overflow_y="auto",
        ),
        description=tr("builder.test_help"),
        open=BuilderState.test_open,
        on_open_change=BuilderState.set_test_open,
        max_width="620px",
    )


def publish_dialog() -> rx.Component:
    return confirm_dialog(
        tr("builder.publish_title"),
        description=BuilderState.publish_count,
        description_id="publish-count",
        confirm_label=tr("builder.publish"),
        cancel_label=tr("common.cancel"),
        on_confirm=BuilderState.publish,
        open=BuilderState.publish_open,
        on_open_change=BuilderState.set_publish_open,
        confirm_id="confirm-publish",
    )


def toolbar() -> rx.Component:
    design = ~BuilderState.read_only
    return rx.hstack(
        rx.badge(
            rx.cond(
                BuilderState.status != "", BuilderState.t["wfstatus." + BuilderState.status], ""
            ),
            id="wf-status",
        ),
        rx.text(BuilderState.version, size="2", color_scheme="gray"),
        rx.text(BuilderState.scope_label, size="2", color_scheme="gray", id="wf-scope"),
        rx.text(BuilderState.saved_at, size="1", color_scheme="green"),
        rx.spacer(),
        rx.cond(
            design,
            rx.hstack(
                rx.icon_button(
                    rx.icon("undo-2", size=16),
                    variant="soft",
                    on_click=BuilderState.undo,
                    id="undo",
                    title="Undo (Ctrl+Z)",
                ),
                rx.icon_button(
                    rx.icon("redo-2", size=16),
                    variant="soft",
                    on_click=BuilderState.redo,
                    id="redo",
                    title="Redo (Ctrl+Y)",
                ),
                rx.button(
                    rx.icon("layout-grid", size=14),
                    tr("builder.tidy"),
                    variant="soft",
                    on_click=BuilderState.tidy,
                    id="tidy",
                ),
                rx.button(
                    rx.icon("settings", size=14),
                    tr("builder.settings"),
                    variant="soft",
                    on_click=BuilderState.set_settings_open(True),
                    id="open-settings",
                ),
                rx.button(
                    rx.icon("flask-conical", size=14),
                    tr("builder.test_run"),
                    variant="soft",
                    on_click=BuilderState.set_test_open(True),
                    id="open-test",
                ),
                rx.cond(
                    BuilderState.status == "published",
                    rx.button(
                        tr("builder.pause"),
                        variant="soft",
                        color_scheme="amber",
                        on_click=BuilderState.set_status("paused"),
                        id="pause",
                    ),
                ),
                rx.cond(
                    BuilderState.status == "paused",
                    rx.button(
                        tr("builder.resume"),
                        variant="soft",
                        color_scheme="green",
                        on_click=BuilderState.set_status("published"),
                        id="resume",
                    ),
                ),
                rx.button(
                    rx.icon("rocket", size=14),
                    tr("builder.publish"),
                    on_click=BuilderState.open_publish,
                    disabled=BuilderState.problems.length() > 0,
                    id="publish",
                ),
                spacing="2",
            ),
            rx.badge(tr("builder.read_only"), color_scheme="gray", id="read-only"),
        ),
        width="100%",
        align="center",
        spacing="3",
    )


def _run_link(run: rx.Var) -> rx.Component:
    return rx.button(
        "#" + run["id"],
        size="1",
        variant="ghost",
        on_click=BuilderState.open_run(run["id"]),
        class_name="run-link",
    )


def _run_status(run: rx.Var) -> rx.Component:
    return rx.badge(
        run["status_label"],
        color_scheme=rx.match(
            run["status"],
            ("completed", "green"),
            ("failed", "red"),
            ("waiting", "amber"),
            "blue",
        ),
    )


def runs_panel() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.switch(
                checked=BuilderState.show_counters,
                on_change=BuilderState.toggle_counters,
                id="show-counters",
            ),
            rx.text(tr("builder.show_counters"), size="2"),
            rx.spacer(),
            rx.box(
                _select(
                    BuilderState.run_filter,
                    [
                        ["all", tr("builder.all_runs")],
                        *[[s, tr(f"runstatus.{s}")] for s in RUN_STATUSES],
                    ],
                    BuilderState.set_run_filter,
                    id="run-filter",
                ),
                width="140px",
            ),
            rx.icon_button(
                rx.icon("refresh-cw", size=14),
                variant="soft",
                on_click=[BuilderState.load_runs, BuilderState.redraw],
                id="refresh-runs",
            ),
            width="100%",
            align="center",
        ),
        data_table(
            [
                Column("#", cell=_run_link),
                Column(tr("builder.member_id"), "member_id"),
                Column(tr("workflow.status"), cell=_run_status),
                Column(tr("builder.started"), "started"),
            ],
            BuilderState.runs,
            table_id="runs-table",
            row_class="run-row",
            variant=None,
            size="1",
        ),
        rx.cond(
            BuilderState.run_detail.length() > 0,
            rx.card(
                rx.vstack(
                    rx.hstack(
                        rx.text(
                            tr("builder.run") + " #" + BuilderState.run_detail["id"], weight="bold"
                        ),
                        rx.badge(BuilderState.run_detail["status_label"]),
                        rx.spacer(),
                        rx.cond(
                            (BuilderState.run_detail["failed"] != "") & BuilderState.can_operate,
                            rx.button(
                                tr("builder.retry"),
                                size="1",
                                color_scheme="amber",
                                on_click=BuilderState.retry(BuilderState.run_detail["id"]),
                                id="retry-run",
                            ),
                        ),
                        width="100%",
                    ),
                    rx.cond(
                        BuilderState.run_detail["error"] != "",
                        rx.text(BuilderState.run_detail["error"], color_scheme="red", size="1"),
                    ),
                    rx.foreach(
                        BuilderState.steps,
                        lambda st: rx.box(
                            rx.hstack(
                                rx.badge(st["seq"]),
                                rx.text(st["type"], size="2", weight="medium"),
                                rx.text(st["node"], size="1", color_scheme="gray"),
                                rx.badge(
                                    st["status"],
                                    color_scheme=rx.match(
                                        st["status"],
                                        ("succeeded", "green"),
                                        ("failed", "red"),
                                        "amber",
                                    ),
                                ),
                                rx.text("×" + st["attempt"], size="1"),
                                spacing="2",
                                align="center",
                            ),
                            rx.text(
                                tr("builder.input") + " " + st["input"],
                                size="1",
                                font_family="monospace",
                            ),
                            rx.text(
                                tr("builder.output") + " " + st["output"],
                                size="1",
                                font_family="monospace",
                            ),
                            rx.cond(
                                st["error"] != "",
                                rx.text(st["error"], size="1", color_scheme="red"),
                            ),
                            class_name="step-row",
                            padding_y="4px",
                            border_bottom="1px solid var(--gray-a4)",
                        ),
                    ),
                    spacing="2",
                    width="100%",
                ),
                width="100%",
                id="run-detail",
            ),
        ),
        spacing="3",
        width="100%",
        max_height="640px",
        overflow_y="auto",
    )


@rx.page(
    route="/workflows/edit",
    title="Campaign builder · Back-office",
    on_load=[SessionState.require_sign_in, BuilderState.open_builder],
)
def builder_page() -> rx.Component:
    return shell(
        BuilderState.name,
        toolbar(),
        rx.tabs.root(
            rx.tabs.list(
                rx.tabs.trigger(tr("builder.design"), value="design", id="tab-design"),
                rx.tabs.trigger(tr("builder.runs"), value="runs", id="tab-runs"),
            ),
            value=BuilderState.tab,
            on_change=BuilderState.set_tab,
        ),
        rx.hstack(
            rx.box(
                flow_canvas(
                    graph=BuilderState.canvas,
                    palette=BuilderState.palette,
                    read_only=BuilderState.read_only | (BuilderState.tab == "runs"),
                    height="640px",
                    on_graph_change=BuilderState.canvas_changed,
                    on_drop_node=BuilderState.node_dropped,
                    on_select_node=BuilderState.node_selected,
                    on_undo=BuilderState.undo,
                    on_redo=BuilderState.redo,
                ),
                flex="1",
                min_width="0",
                id="canvas",
            ),
            rx.box(
                rx.cond(
                    BuilderState.tab == "runs",
                    runs_panel(),
                    rx.cond(BuilderState.node_type != "", node_panel(), overview_panel()),
                ),
                width="340px",
                min_width="340px",
                max_height="640px",
                overflow_y="auto",
                padding="4px",
            ),
            width="100%",
            align="start",
            spacing="3",
        ),
        problems_list(),
        settings_dialog(),
        message_dialog(),
        segment_dialog(),
        test_dialog(),
        publish_dialog(),
    )
