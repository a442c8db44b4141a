"""Labelled inputs with a field-level error underneath."""

from __future__ import annotations

from typing import Any

import reflex as rx


def field_error(message: rx.Var | str) -> rx.Component:
    return rx.cond(
        message != "",
        rx.text(message, color_scheme="red", size="1", class_name="field-error"),
    )


def labelled(
    label: Any,
    control: rx.Component,
    error: Any = "",
    hint: Any = "",
    required: bool | rx.Var = False,
) -> rx.Component:
    """A label above a control, an optional hint and the field's error below."""
    return rx.vstack(
        rx.hstack(
            rx.text(label, size="2", weight="medium"),
            rx.cond(required, rx.text("*", color_scheme="red", size="2")),
            spacing="1",
        ),
        control,
        rx.cond(hint != "", rx.text(hint, size="1", color_scheme="gray")),
        field_error(error),
        spacing="1",
        width="100%",
        align="stretch",
    )


def status_badge(status: rx.Var, label: Any) -> rx.Component:
    return rx.badge(
        label,
        color_scheme=rx.match(
            status, ("active", "green"), ("frozen", "blue"), ("cancelled", "gray"), "gray"
        ),
        variant="soft",
    )


def hydration_marker() -> rx.Component:
    """Browser tests wait for data-hydrated="true" before typing (early input gets lost)."""
    return rx.el.div(id="hydrated", data_hydrated=rx.State.is_hydrated, display="none")
