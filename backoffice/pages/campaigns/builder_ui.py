"""/workflows/edit: the campaign builder page. The canvas, its toolbar and the problem list
live here; the side panel, the dialogs and the runs tab in the builder_*_ui modules (one
per concern, as the state's mixins in builder_*.py)."""

from __future__ import annotations

import reflex as rx

from backoffice.components.dialogs import confirm_dialog, form_dialog
from backoffice.components.flow import flow_canvas
from backoffice.pages.campaigns.builder import BuilderState
from backoffice.pages.campaigns.builder_messages_ui import message_dialog
from backoffice.pages.campaigns.builder_panel_ui import node_panel, overview_panel
from backoffice.pages.campaigns.builder_runs_ui import runs_panel
from backoffice.pages.campaigns.builder_segments_ui import segment_dialog
from backoffice.pages.campaigns.builder_test_run_ui import test_dialog
from backoffice.pages.campaigns.builder_versions_ui import version_banner, versions_dialog
from backoffice.pages.layout import shell
from backoffice.pages.session import SessionState, tr


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


def _status_line() -> list[rx.Component]:
    return [
        rx.badge(
            rx.cond(
                BuilderState.status != "", BuilderState.t["wfstatus." + BuilderState.status], ""
            ),
            id="wf-status",
        ),
        rx.text(BuilderState.version, size="2", color_scheme="gray"),
        rx.cond(
            BuilderState.version != "",
            rx.button(
                rx.icon("history", size=14),
                tr("builder.versions"),
                size="1",
                variant="ghost",
                on_click=BuilderState.set_versions_open(True),
                id="open-versions",
            ),
        ),
        rx.text(BuilderState.scope_label, size="2", color_scheme="gray", id="wf-scope"),
        rx.text(BuilderState.saved_at, size="1", color_scheme="green"),
    ]


def _edit_buttons() -> list[rx.Component]:
    return [
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
            # the canvas lays itself out (elkjs, in the browser) and saves the positions
            on_click=rx.call_script("window.dispatchEvent(new CustomEvent('bo-tidy'))"),
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
    ]


def _lifecycle_buttons() -> list[rx.Component]:
    return [
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
            disabled=(BuilderState.problems.length() > 0) | (BuilderState.viewing != ""),
            id="publish",
        ),
    ]


def toolbar() -> rx.Component:
    return rx.hstack(
        *_status_line(),
        rx.spacer(),
        rx.cond(
            ~BuilderState.read_only,
            rx.hstack(*_edit_buttons(), *_lifecycle_buttons(), spacing="2"),
            rx.badge(tr("builder.read_only"), color_scheme="gray", id="read-only"),
        ),
        width="100%",
        align="center",
        spacing="3",
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
        version_banner(),
        rx.hstack(
            rx.box(
                flow_canvas(
                    graph=BuilderState.canvas,
                    palette=BuilderState.palette,
                    read_only=BuilderState.read_only
                    | (BuilderState.tab == "runs")
                    | (BuilderState.viewing != ""),
                    height="calc(100vh - 270px)",
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
                max_height="calc(100vh - 270px)",
                overflow_y="auto",
                padding="4px",
            ),
            width="100%",
            align="start",
            spacing="3",
        ),
        rx.cond(BuilderState.viewing == "", problems_list()),
        settings_dialog(),
        versions_dialog(),
        message_dialog(),
        segment_dialog(),
        test_dialog(),
        publish_dialog(),
    )
