"""The builder's test run dialog: find a member or take a segment's sample, see the path."""

from __future__ import annotations

import reflex as rx

from backoffice.components.dialogs import dialog_shell
from backoffice.components.fields import pair_select
from backoffice.pages.campaigns.builder import BuilderState
from backoffice.pages.session import tr


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


def _find_member() -> rx.Component:
    return rx.form(
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
    )


def _candidate(c: rx.Var) -> rx.Component:
    return rx.hstack(
        rx.text(c["label"], size="2"),
        rx.spacer(),
        rx.button(
            tr("builder.test_this"),
            size="1",
            on_click=BuilderState.test_member(c["id"]),
            class_name="test-candidate",
        ),
        width="100%",
    )


def _sample_row() -> rx.Component:
    return rx.hstack(
        rx.box(
            pair_select(
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
    )


def test_dialog() -> rx.Component:
    return dialog_shell(
        tr("builder.test_run"),
        rx.vstack(
            _find_member(),
            rx.foreach(BuilderState.test_candidates, _candidate),
            rx.divider(),
            _sample_row(),
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
