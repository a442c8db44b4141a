"""The builder's runs tab: filter, the runs table, one run's steps and retry."""

from __future__ import annotations

import reflex as rx

from backoffice.components.fields import pair_select
from backoffice.components.tables import Column, data_table
from backoffice.pages.campaigns.builder import BuilderState
from backoffice.pages.campaigns.builder_runs import RUN_STATUSES
from backoffice.pages.session import tr


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


def _filter_bar() -> rx.Component:
    return rx.hstack(
        rx.switch(
            checked=BuilderState.show_counters,
            on_change=BuilderState.toggle_counters,
            id="show-counters",
        ),
        rx.text(tr("builder.show_counters"), size="2"),
        rx.spacer(),
        rx.box(
            pair_select(
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
    )


def _runs_table() -> rx.Component:
    return data_table(
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
    )


def _step(st: rx.Var) -> rx.Component:
    return rx.box(
        rx.hstack(
            rx.badge(st["seq"]),
            rx.text(st["type"], size="2", weight="medium"),
            rx.text(st["node"], size="1", color_scheme="gray"),
            rx.badge(
                st["status"],
                color_scheme=rx.match(
                    st["status"], ("succeeded", "green"), ("failed", "red"), "amber"
                ),
            ),
            rx.text("×" + st["attempt"], size="1"),
            spacing="2",
            align="center",
        ),
        rx.text(tr("builder.input") + " " + st["input"], size="1", font_family="monospace"),
        rx.text(tr("builder.output") + " " + st["output"], size="1", font_family="monospace"),
        rx.cond(st["error"] != "", rx.text(st["error"], size="1", color_scheme="red")),
        class_name="step-row",
        padding_y="4px",
        border_bottom="1px solid var(--gray-a4)",
    )


def _run_detail() -> rx.Component:
    run = BuilderState.run_detail
    return rx.cond(
        run.length() > 0,
        rx.card(
            rx.vstack(
                rx.hstack(
                    rx.text(tr("builder.run") + " #" + run["id"], weight="bold"),
                    rx.badge(run["status_label"]),
                    rx.spacer(),
                    rx.cond(
                        (run["failed"] != "") & BuilderState.can_operate,
                        rx.button(
                            tr("builder.retry"),
                            size="1",
                            color_scheme="amber",
                            on_click=BuilderState.retry(run["id"]),
                            id="retry-run",
                        ),
                    ),
                    width="100%",
                ),
                rx.cond(run["error"] != "", rx.text(run["error"], color_scheme="red", size="1")),
                rx.foreach(BuilderState.steps, _step),
                spacing="2",
                width="100%",
            ),
            width="100%",
            id="run-detail",
        ),
    )


def runs_panel() -> rx.Component:
    return rx.vstack(
        _filter_bar(),
        _runs_table(),
        _run_detail(),
        spacing="3",
        width="100%",
        max_height="640px",
        overflow_y="auto",
    )
