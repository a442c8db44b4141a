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


# ---- configurable (custom) fields ---------------------------------------------------------
# HQ designs the member form (text, number, date, choice, multi_choice, boolean; textarea
# for longer notes). Staff (member form) and members (portal profile) fill the same fields
# through one renderer; the inputs are named "custom.<key>" ("custom.<key>::<option>" per
# ticked option of a multi_choice), and read_custom_value() reads them back.

CUSTOM_PREFIX = "custom."
MULTI_SEP = "::"
TICKED = (True, "on", "true")


def custom_field_row(
    key: str,
    label: str,
    type_: str,
    options: list[str],
    help_text: str,
    value: Any,
    required: bool = False,
) -> dict[str, Any]:
    """What a page keeps in state for one field, with its current value, for custom_field()."""
    return {
        "key": key,
        "label": label,
        "type": str(type_),
        "options": list(options),
        "required": required,
        "help": help_text,
        "value": "" if value is None or isinstance(value, list | bool) else str(value),
        "checked": value is True,
        "chosen": list(value) if isinstance(value, list) else [],
    }


def read_custom_value(form: dict[str, Any], key: str, type_: str, options: list[str]) -> Any:
    """The value the browser form holds for one field: a list, a bool or the text typed."""
    name = CUSTOM_PREFIX + key
    if type_ == "multi_choice":
        return [o for o in options if form.get(f"{name}{MULTI_SEP}{o}") in TICKED]
    if type_ == "boolean":
        return form.get(name) in TICKED
    return str(form.get(name, ""))


def _ticks(field: rx.Var, name: rx.Var, element_id: rx.Var) -> rx.Component:
    return rx.hstack(
        rx.foreach(
            field["options"].to(list[str]),
            lambda o: rx.text(
                rx.hstack(
                    rx.checkbox(
                        name=name + MULTI_SEP + o,
                        default_checked=field["chosen"].to(list[str]).contains(o),
                    ),
                    o,
                    spacing="1",
                    align="center",
                ),
                as_="label",
                size="2",
            ),
        ),
        wrap="wrap",
        spacing="3",
        id=element_id,
    )


def custom_control(
    field: rx.Var, *, id_prefix: str, choose_label: Any, size: str = "2"
) -> rx.Component:
    """The input for one custom_field_row() var, uncontrolled (a form's submit reads it)."""
    key = field["key"].to(str)
    name = CUSTOM_PREFIX + key
    element_id = id_prefix + key
    value = field["value"].to(str)
    return rx.match(
        field["type"],
        (
            "choice",
            rx.select.root(
                rx.select.trigger(placeholder=choose_label, width="100%", id=element_id),
                rx.select.content(
                    rx.foreach(field["options"].to(list[str]), lambda o: rx.select.item(o, value=o))
                ),
                name=name,
                default_value=value,
            ),
        ),
        ("multi_choice", _ticks(field, name, element_id)),
        (
            "boolean",
            rx.checkbox(name=name, default_checked=field["checked"].to(bool), id=element_id),
        ),
        (
            "number",
            rx.input(
                name=name, type="number", step="any", default_value=value, id=element_id, size=size
            ),
        ),
        (
            "date",
            rx.input(name=name, type="date", default_value=value, id=element_id, size=size),
        ),
        (
            "textarea",
            rx.text_area(name=name, default_value=value, id=element_id, size=size),
        ),
        rx.input(name=name, default_value=value, id=element_id, size=size),
    )


def custom_field(
    field: rx.Var,
    errors: rx.Var,
    *,
    id_prefix: str,
    choose_label: Any,
    size: str = "2",
) -> rx.Component:
    """One configurable field: label (and * when required), input, help text and error.

    `errors` is the page's dict var of field errors, keyed "custom.<key>" as the service
    names them; `id_prefix` + key is the input's element id.
    """
    return labelled(
        field["label"],
        custom_control(field, id_prefix=id_prefix, choose_label=choose_label, size=size),
        errors.get(CUSTOM_PREFIX + field["key"].to(str), ""),
        hint=field["help"],
        required=field["required"].to(bool),
    )


def pair_select(value: Any, options: Any, on_change: Any, **props: Any) -> rx.Component:
    """A small select over [value, label] pairs; `id`/`class_name` go to its trigger."""
    trigger_props = {k: props.pop(k) for k in ("id", "class_name") if k in props}
    return rx.select.root(
        rx.select.trigger(width="100%", **trigger_props),
        rx.select.content(rx.foreach(options, lambda o: rx.select.item(o[1], value=o[0]))),
        value=value,
        on_change=on_change,
        size="1",
        **props,
    )
