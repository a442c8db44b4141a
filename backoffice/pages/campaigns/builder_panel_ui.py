"""The builder's side panel: the selected node's form (config fields, condition rules,
split branches) or, with nothing selected, the campaign's goal and conversion."""

from __future__ import annotations

from typing import Any

import reflex as rx

from backoffice.components.fields import labelled, pair_select
from backoffice.pages.campaigns.builder import BuilderState
from backoffice.pages.session import tr

MATCH_OPTIONS = [["all", tr("builder.match_all")], ["any", tr("builder.match_any")]]


def _config_control(row: rx.Var) -> rx.Component:
    name = row["name"].to(str)
    return rx.match(
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
                on_change=lambda v: BuilderState.choose_value(name, v),
                disabled=BuilderState.read_only,
                size="2",
            ),
        ),
        rx.input(
            value=row["value"].to(str),
            on_change=lambda v: BuilderState.set_value(name, v),
            # leaving the field saves it (no Apply needed), when it changed
            on_blur=BuilderState.apply_if_changed,
            id="cfg-" + name,
            type=rx.match(
                row["kind"].to(str), ("number", "number"), ("secret", "password"), "text"
            ),
            auto_complete="off",
            read_only=BuilderState.read_only,
            width="100%",
        ),
    )


def _config_field(row: rx.Var) -> rx.Component:
    """One field of the node's config; conditions and branches have their own editors."""
    return rx.cond(
        (row["kind"].to(str) == "condition") | (row["kind"].to(str) == "branches"),
        rx.fragment(),
        labelled(
            row["label"].to(str),
            _config_control(row),
            row["error"].to(str),
            hint=row["hint"].to(str),
        ),
    )


def _small_error(message: rx.Var) -> rx.Component:
    return rx.cond(
        message != "",
        rx.text(message, size="1", color_scheme="red", class_name="field-error"),
    )


def _rule_kind(row: rx.Var, index: rx.Var, group: str) -> rx.Component:
    return rx.hstack(
        rx.box(  # the select shares the row with the remove button, never pushing it out
            pair_select(
                row["kind"].to(str),
                BuilderState.rule_kinds,
                lambda v: BuilderState.set_rule(group, index, "kind", v),
                class_name="rule-kind",
            ),
            flex="1",
            min_width="0",
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
    )


def _rule_value(row: rx.Var, index: rx.Var, group: str) -> rx.Component:
    return rx.hstack(
        rx.box(
            pair_select(
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
    )


def _rule_days(row: rx.Var, index: rx.Var, group: str) -> rx.Component:
    return rx.hstack(
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
    )


def rule_card(row: rx.Var, index: rx.Var, group: str = "node") -> rx.Component:
    """One condition rule; `group` "segment" edits the segment dialog's rules."""
    return rx.card(
        rx.vstack(
            _rule_kind(row, index, group),
            rx.cond(
                row["has_field"].to(bool),
                pair_select(
                    row["field"].to(str),
                    row["fields"].to(list[list[str]]),
                    lambda v: BuilderState.set_rule(group, index, "field", v),
                    class_name="rule-field",
                ),
            ),
            rx.cond(row["has_value"].to(bool), _rule_value(row, index, group)),
            rx.cond(row["has_days"].to(bool), _rule_days(row, index, group)),
            rx.cond(
                row["hint"].to(str) != "",
                rx.text(row["hint"].to(str), size="1", color_scheme="gray"),
            ),
            _small_error(row["error"].to(str)),
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


def _add_button(label: rx.Var, on_click: Any, **props: Any) -> rx.Component:
    return rx.button(
        rx.icon("plus", size=12), label, size="1", variant="soft", on_click=on_click, **props
    )


def _segment_button() -> rx.Component:
    """Schedule and manual triggers pick a segment; a new one is made here."""
    return rx.cond(
        (
            (BuilderState.node_type == "trigger.manual")
            | (BuilderState.node_type == "trigger.schedule")
        )
        & ~BuilderState.read_only,
        _add_button(tr("builder.new_segment"), BuilderState.open_segment, id="new-segment"),
    )


def _message_buttons() -> rx.Component:
    return rx.cond(
        (BuilderState.node_type == "action.send_message") & ~BuilderState.read_only,
        rx.hstack(
            _add_button(
                tr("builder.new_message"), BuilderState.open_message(True), id="new-message"
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
    )


def _condition_editor() -> rx.Component:
    return rx.cond(
        BuilderState.node_type == "condition",
        rx.vstack(
            rx.hstack(
                rx.text(tr("builder.match"), size="2", white_space="nowrap"),
                # the select takes what is left of the panel's width, never more
                rx.box(
                    pair_select(
                        BuilderState.match, MATCH_OPTIONS, BuilderState.set_match, id="rule-match"
                    ),
                    flex="1",
                    min_width="0",
                ),
                align="center",
                width="100%",
            ),
            rx.foreach(BuilderState.rules, lambda r, i: rule_card(r, i, "node")),
            _add_button(
                tr("builder.add_rule"),
                BuilderState.add_rule("node"),
                id="add-rule",
                disabled=BuilderState.read_only,
            ),
            spacing="2",
            width="100%",
        ),
    )


def _split_editor() -> rx.Component:
    return rx.cond(
        BuilderState.node_type == "split",
        rx.vstack(
            rx.foreach(BuilderState.branches, _branch),
            _add_button(
                tr("builder.add_branch"), BuilderState.add_branch, disabled=BuilderState.read_only
            ),
            spacing="2",
        ),
    )


def _apply_or_delete() -> rx.Component:
    return rx.cond(
        ~BuilderState.read_only,
        rx.hstack(
            rx.button(tr("builder.apply"), on_click=BuilderState.apply_config, id="apply-config"),
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
        rx.foreach(BuilderState.fields, _config_field),
        _segment_button(),
        _message_buttons(),
        _condition_editor(),
        _split_editor(),
        rx.cond(
            BuilderState.group_error != "",
            rx.text(
                BuilderState.group_error, size="1", color_scheme="red", class_name="field-error"
            ),
        ),
        _apply_or_delete(),
        spacing="3",
        width="100%",
        align="stretch",
        id="node-panel",
    )


def _figure(label_key: str, value: rx.Var, element_id: str | None = None) -> rx.Component:
    props = {"id": element_id} if element_id else {}
    return rx.vstack(
        rx.text(tr(label_key), size="1", color_scheme="gray"),
        rx.text(value, weight="bold", **props),
        spacing="0",
    )


def overview_panel() -> rx.Component:
    return rx.vstack(
        rx.text(tr("builder.pick_node"), size="2", color_scheme="gray"),
        rx.card(
            rx.vstack(
                rx.text(tr("workflow.goal"), weight="bold", size="2"),
                rx.text(BuilderState.conversion["goal"], size="2"),
                rx.hstack(
                    _figure("builder.entered", BuilderState.conversion["entered"]),
                    _figure("builder.converted", BuilderState.conversion["converted"]),
                    _figure(
                        "workflow.conversion", BuilderState.conversion["rate"], "conversion-rate"
                    ),
                    _figure("builder.revenue", BuilderState.conversion["revenue"], "attributed"),
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
