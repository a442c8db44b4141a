"""/workflows: the campaign list (scope, status, version, trigger, runs, conversion),
filters, new from a starter or blank, duplicate and archive. The state is in
campaign_list_state.py."""

from __future__ import annotations

import reflex as rx

from backoffice.components.dialogs import confirm_dialog, dialog_buttons, dialog_shell
from backoffice.components.tables import Column, data_table
from backoffice.pages.campaigns.campaign_list_state import (
    ALL,
    BLANK,
    STATUSES,
    WorkflowListState,
)
from backoffice.pages.layout import shell
from backoffice.pages.session import SessionState, tr

__all__ = ["WorkflowListState", "workflows_page"]


def _status(row: rx.Var) -> rx.Component:
    return rx.badge(
        row["status_label"].to(str),
        color_scheme=rx.match(
            row["status"].to(str),
            ("published", "green"),
            ("paused", "amber"),
            ("archived", "gray"),
            "blue",
        ),
    )


def _archive(row: rx.Var) -> rx.Component:
    return confirm_dialog(
        tr("workflow.archive_title"),
        description=tr("workflow.archive_help"),
        confirm_label=tr("workflow.archive"),
        cancel_label=tr("common.cancel"),
        on_confirm=WorkflowListState.archive(row["id"].to(str)),
        trigger=rx.button(
            rx.icon("archive", size=14),
            tr("workflow.archive"),
            size="1",
            variant="soft",
            color_scheme="gray",
        ),
        danger=True,
    )


def _actions(row: rx.Var) -> rx.Component:
    return rx.cond(
        WorkflowListState.can_design,
        rx.hstack(
            rx.button(
                rx.icon("copy", size=14),
                tr("workflow.duplicate"),
                size="1",
                variant="soft",
                on_click=WorkflowListState.duplicate(row["id"].to(str)),
            ),
            rx.cond(row["archivable"].to(bool), _archive(row)),
            spacing="2",
        ),
    )


def workflow_table() -> rx.Component:
    return data_table(
        [
            Column(
                tr("workflow.name"),
                cell=lambda r: rx.link(
                    r["name"].to(str), href=r["href"].to(str), class_name="wf-link"
                ),
            ),
            Column(tr("workflow.scope"), "scope"),
            Column(tr("workflow.status"), cell=_status),
            Column(tr("workflow.version"), "version"),
            Column(tr("workflow.trigger"), "trigger"),
            Column(tr("workflow.runs_7d"), "runs"),
            Column(tr("workflow.conversion"), "conversion"),
            Column("", cell=_actions),
        ],
        WorkflowListState.rows,
        table_id="workflow-table",
        row_class="wf-row",
    )


def _starter_card(item: rx.Var) -> rx.Component:
    chosen = WorkflowListState.new_kind == item["key"]
    return rx.card(
        rx.vstack(
            rx.text(item["name"], weight="bold", size="2"),
            rx.text(item["help"], size="1", color_scheme="gray"),
            spacing="1",
        ),
        on_click=WorkflowListState.set_new_kind(item["key"]),
        cursor="pointer",
        class_name="starter-card",
        data_starter=item["key"],
        border=rx.cond(chosen, "2px solid var(--accent-9)", "2px solid transparent"),
    )


def _blank_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.text(tr("workflow.blank"), weight="bold", size="2"),
            rx.text(tr("workflow.blank_help"), size="1", color_scheme="gray"),
            spacing="1",
        ),
        on_click=WorkflowListState.set_new_kind(BLANK),
        cursor="pointer",
        class_name="starter-card",
        data_starter=BLANK,
        border=rx.cond(
            WorkflowListState.new_kind == BLANK,
            "2px solid var(--accent-9)",
            "2px solid transparent",
        ),
    )


def _store_select() -> rx.Component:
    return rx.select.root(
        rx.select.trigger(id="new-workflow-store", width="100%"),
        rx.select.content(
            rx.cond(
                WorkflowListState.hq,
                rx.select.item(tr("workflow.scope_hq"), value=ALL),
            ),
            rx.foreach(
                WorkflowListState.store_options,
                lambda o: rx.select.item(o[1], value=o[0]),
            ),
        ),
        value=WorkflowListState.new_store,
        on_change=WorkflowListState.set_new_store,
    )


def _asks(name: str) -> rx.Var:
    return WorkflowListState.new_asks.contains(name)


def _choice_error(name: str) -> rx.Component:
    message = WorkflowListState.new_errors.get(name, "").to(str)
    return rx.cond(
        message != "",
        rx.text(message, size="1", color_scheme="red", class_name="field-error"),
    )


def _choice_select(name: str, options: rx.Var, label: rx.Var) -> rx.Component:
    return rx.vstack(
        rx.text(label, size="2", weight="medium"),
        rx.select.root(
            rx.select.trigger(id=f"new-{name}", width="100%"),
            rx.select.content(rx.foreach(options, lambda o: rx.select.item(o[1], value=o[0]))),
            value=getattr(WorkflowListState, f"new_{name}"),
            on_change=lambda v: WorkflowListState.set_new_choice(name, v),
        ),
        _choice_error(name),
        spacing="1",
        width="100%",
    )


def _choice_number(name: str, label: rx.Var) -> rx.Component:
    return rx.vstack(
        rx.text(label, size="2", weight="medium"),
        rx.input(
            value=getattr(WorkflowListState, f"new_{name}"),
            on_change=lambda v: WorkflowListState.set_new_choice(name, v),
            type="number",
            id=f"new-{name}",
            width="100%",
        ),
        _choice_error(name),
        spacing="1",
        width="100%",
    )


CHANNEL_OPTIONS = [
    ("sms", "starter.channel.sms"),
    ("email", "starter.channel.email"),
    ("outbox", "starter.channel.outbox"),
]


def _starter_choices() -> rx.Component:
    """The starter's few key choices, each with its default already chosen."""
    days_label = rx.cond(
        WorkflowListState.new_kind == "birthday",
        tr("starter.choose_days.birthday"),
        tr("starter.choose_days.winback"),
    )
    channels = rx.select.root(
        rx.select.trigger(id="new-channel", width="100%"),
        rx.select.content(*[rx.select.item(tr(key), value=v) for v, key in CHANNEL_OPTIONS]),
        value=WorkflowListState.new_channel,
        on_change=lambda v: WorkflowListState.set_new_choice("channel", v),
    )
    return rx.grid(
        rx.cond(
            _asks("coupon"),
            rx.cond(
                WorkflowListState.coupon_options.length() > 0,
                _choice_select(
                    "coupon", WorkflowListState.coupon_options, tr("starter.choose_coupon")
                ),
                rx.callout(tr("starter.no_coupons"), color_scheme="amber", size="1"),
            ),
        ),
        rx.cond(_asks("points"), _choice_number("points", tr("starter.choose_points"))),
        rx.cond(_asks("days"), _choice_number("days", days_label)),
        rx.cond(
            _asks("channel"),
            rx.vstack(
                rx.text(tr("starter.choose_channel"), size="2", weight="medium"),
                channels,
                _choice_error("channel"),
                spacing="1",
                width="100%",
            ),
        ),
        columns="2",
        spacing="3",
        width="100%",
        id="starter-choices",
    )


def new_dialog() -> rx.Component:
    return dialog_shell(
        tr("workflow.new"),
        rx.vstack(
            rx.text(tr("workflow.start_from"), size="2", weight="medium"),
            rx.grid(
                _blank_card(),
                rx.foreach(WorkflowListState.starters, _starter_card),
                columns="2",
                spacing="2",
                width="100%",
            ),
            rx.input(
                placeholder=tr("workflow.name"),
                value=WorkflowListState.new_name,
                on_change=WorkflowListState.set_new_name,
                id="new-workflow-name",
                width="100%",
            ),
            _starter_choices(),
            rx.text(tr("workflow.stores"), size="2", weight="medium"),
            _store_select(),
            rx.cond(
                WorkflowListState.new_error != "",
                rx.callout(WorkflowListState.new_error, color_scheme="red", id="new-error"),
            ),
            dialog_buttons(
                tr("common.cancel"),
                tr("workflow.create"),
                on_confirm=WorkflowListState.create,
                confirm_id="create-workflow",
            ),
            spacing="3",
            align="stretch",
        ),
        open=WorkflowListState.new_open,
        on_open_change=WorkflowListState.set_new_open,
    )


@rx.page(
    route="/workflows",
    title="Campaigns · Back-office",
    on_load=[SessionState.require_sign_in, WorkflowListState.open_page],
)
def workflows_page() -> rx.Component:
    return shell(
        tr("workflow.list_title"),
        rx.hstack(
            rx.form(
                rx.hstack(
                    rx.input(name="q", placeholder=tr("workflow.search"), id="workflow-search"),
                    rx.button(rx.icon("search", size=14), type="submit", variant="soft"),
                    spacing="2",
                ),
                on_submit=WorkflowListState.search,
            ),
            rx.select.root(
                rx.select.trigger(id="status-filter"),
                rx.select.content(
                    rx.select.item(tr("workflow.all_statuses"), value=ALL),
                    *[rx.select.item(tr(f"wfstatus.{s}"), value=s) for s in STATUSES],
                ),
                value=WorkflowListState.status_filter,
                on_change=WorkflowListState.set_status_filter,
            ),
            rx.select.root(
                rx.select.trigger(id="trigger-filter"),
                rx.select.content(
                    rx.select.item(tr("workflow.all_triggers"), value=ALL),
                    rx.foreach(
                        WorkflowListState.trigger_options,
                        lambda o: rx.select.item(o[1], value=o[0]),
                    ),
                ),
                value=WorkflowListState.trigger_filter,
                on_change=WorkflowListState.set_trigger_filter,
            ),
            spacing="3",
            align="center",
        ),
        workflow_table(),
        rx.cond(
            WorkflowListState.rows.length() == 0,
            rx.text(tr("workflow.none"), color_scheme="gray", size="2"),
        ),
        new_dialog(),
        actions=rx.cond(
            WorkflowListState.can_design,
            rx.button(
                rx.icon("plus", size=14),
                tr("workflow.new"),
                on_click=WorkflowListState.open_new,
                id="new-workflow",
            ),
        ),
    )
