"""The builder's segment dialog: rules like a condition node's, a count, then save."""

from __future__ import annotations

import reflex as rx

from backoffice.components.dialogs import dialog_buttons, dialog_shell
from backoffice.components.fields import pair_select
from backoffice.pages.campaigns.builder import BuilderState
from backoffice.pages.campaigns.builder_panel_ui import MATCH_OPTIONS, rule_card
from backoffice.pages.session import tr


def _count_row() -> rx.Component:
    return rx.hstack(
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
                pair_select(BuilderState.seg_match, MATCH_OPTIONS, BuilderState.set_seg_match),
                align="center",
            ),
            rx.foreach(BuilderState.seg_rules, lambda r, i: rule_card(r, i, "segment")),
            _count_row(),
            rx.cond(
                BuilderState.seg_error != "",
                rx.text(
                    BuilderState.seg_error, color_scheme="red", size="1", class_name="field-error"
                ),
            ),
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
