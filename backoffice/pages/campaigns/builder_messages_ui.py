"""The builder's message template dialog, opened from a "send message" node's panel."""

from __future__ import annotations

import reflex as rx

from backoffice.components.dialogs import form_dialog
from backoffice.pages.campaigns.builder import BuilderState
from backoffice.pages.session import tr


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
        # One click picks the channel: all three are in view.
        rx.segmented_control.root(
            rx.segmented_control.item(tr("builder.channel_outbox"), value="outbox"),
            rx.segmented_control.item(tr("channel.sms"), value="sms"),
            rx.segmented_control.item(tr("channel.email"), value="email"),
            value=BuilderState.msg_channel,
            on_change=BuilderState.set_msg_channel,
            id="msg-channel",
            width="100%",
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
            # Held in state, not submitted with the form: an id on the checkbox itself would
            # make Reflex submit it by id (deprecated in 0.10.1), so the row carries it.
            rx.checkbox(
                checked=BuilderState.msg_marketing,
                on_change=BuilderState.set_msg_marketing,
            ),
            rx.text(tr("builder.msg_marketing"), size="2"),
            align="center",
            id="msg-marketing",
        ),
        on_submit=BuilderState.save_message,
        save_label=tr("common.save"),
        cancel_label=tr("common.cancel"),
        save_id="save-message",
        open=BuilderState.msg_open,
        on_open_change=BuilderState.set_msg_open,
        max_width="560px",
    )
