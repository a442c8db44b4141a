"""Dialogs: one confirm dialog and one form dialog shell, so every page asks and edits alike.

Labels and handlers come from the page (components know no translations or state). Two
ways to close, chosen by the page:

- the page's own handlers (`on_cancel` given): cancel and confirm are plain buttons and
  the page closes the dialog when its handler is done (a failed save stays open);
- Radix (`on_cancel` left out): cancel and confirm close the dialog themselves, through
  `on_open_change` when `open` is a state var, or on their own when opened by `trigger`.
"""

from __future__ import annotations

from typing import Any

import reflex as rx


def _given(**props: Any) -> dict[str, Any]:
    """The props that were given: Reflex would render a None prop or handler as null."""
    return {k: v for k, v in props.items() if v is not None}


def _cancel_button(label: Any, on_cancel: Any, element_id: str | None) -> rx.Component:
    return rx.button(
        label,
        type="button",
        variant="soft",
        color_scheme="gray",
        **_given(on_click=on_cancel, id=element_id),
    )


def dialog_buttons(
    cancel_label: Any,
    confirm_label: Any,
    *,
    on_cancel: Any = None,
    on_confirm: Any = None,
    confirm_id: Any = None,
    cancel_id: str | None = None,
    submit: bool = False,
    danger: bool = False,
    alert: bool = False,
) -> rx.Component:
    """Cancel and confirm, right-aligned; `submit` makes confirm the form's submit button.

    Without `on_cancel`, cancel is a Radix close (`alert`: an alert dialog's Cancel, and
    confirm its Action, which closes too), so Esc, cancel and confirm share one path.
    """
    confirm = rx.button(
        confirm_label,
        type="submit" if submit else "button",
        **_given(
            on_click=None if submit else on_confirm,
            color_scheme="red" if danger else None,
            id=confirm_id,
        ),
    )
    cancel = _cancel_button(cancel_label, on_cancel, cancel_id)
    if on_cancel is None:
        cancel = rx.alert_dialog.cancel(cancel) if alert else rx.dialog.close(cancel)
        if alert and not submit:
            confirm = rx.alert_dialog.action(confirm)
    return rx.hstack(cancel, confirm, justify="end", spacing="2", width="100%")


def confirm_dialog(
    title: Any,
    *body: rx.Component,
    confirm_label: Any,
    cancel_label: Any,
    on_confirm: Any,
    description: Any = None,
    description_id: str | None = None,
    open: Any = None,
    on_open_change: Any = None,
    trigger: rx.Component | None = None,
    on_cancel: Any = None,
    form: bool = False,
    danger: bool = False,
    confirm_id: Any = None,
    cancel_id: str | None = None,
    max_width: str | None = None,
) -> rx.Component:
    """An alert dialog asking one question: title, optional description and body, two buttons.

    `form`: the body holds inputs (a reason, an amount) and confirm submits them to
    `on_confirm(form_data)`; otherwise confirm calls `on_confirm` on click. Open it with a
    state var (`open`, and `on_open_change` for Esc) or with a `trigger` component.
    """
    buttons = dialog_buttons(
        cancel_label,
        confirm_label,
        on_cancel=on_cancel,
        on_confirm=on_confirm,
        confirm_id=confirm_id,
        cancel_id=cancel_id,
        submit=form,
        danger=danger,
        alert=True,
    )
    inner = rx.vstack(
        *body,
        buttons,
        spacing="3",
        **_given(margin_top="12px" if description is not None else None),
    )
    content = rx.alert_dialog.content(
        rx.alert_dialog.title(title),
        rx.alert_dialog.description(description, **_given(id=description_id))
        if description is not None
        else rx.fragment(),
        rx.form(inner, on_submit=on_confirm) if form else inner,
        **_given(max_width=max_width),
    )
    children = [rx.alert_dialog.trigger(trigger)] if trigger is not None else []
    return rx.alert_dialog.root(
        *children, content, **_given(open=open, on_open_change=on_open_change)
    )


def dialog_shell(
    title: Any,
    *children: rx.Component,
    open: Any,
    on_open_change: Any = None,
    description: Any = None,
    max_width: str | None = "640px",
) -> rx.Component:
    """A dialog frame (title, optional description, content) opened by a state var."""
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(title),
            rx.dialog.description(description) if description is not None else rx.fragment(),
            *children,
            **_given(max_width=max_width),
        ),
        open=open,
        **_given(on_open_change=on_open_change),
    )


def dialog_form(
    *fields: rx.Component,
    on_submit: Any,
    save_label: Any,
    cancel_label: Any,
    on_cancel: Any = None,
    save_id: str | None = None,
    cancel_id: str | None = None,
    form_id: str | None = None,
    form_key: Any = None,
    spacing: str = "2",
) -> rx.Component:
    """A dialog's form: the fields stacked, then cancel and save; kept filled after submit.

    `form_key` (a counter the page bumps) remounts the uncontrolled inputs with new
    defaults; `on_cancel` left out closes the dialog through its `on_open_change`.
    """
    return rx.form(
        rx.vstack(
            *fields,
            dialog_buttons(
                cancel_label,
                save_label,
                on_cancel=on_cancel,
                confirm_id=save_id,
                cancel_id=cancel_id,
                submit=True,
            ),
            spacing=spacing,
            align="stretch",
        ),
        on_submit=on_submit,
        reset_on_submit=False,
        **_given(id=form_id, key=form_key),
    )


def form_dialog(
    title: Any,
    *fields: rx.Component,
    open: Any,
    on_open_change: Any = None,
    max_width: str | None = "640px",
    **form: Any,
) -> rx.Component:
    """`dialog_shell` around one `dialog_form` (its keyword arguments pass through)."""
    return dialog_shell(
        title,
        dialog_form(*fields, **form),
        open=open,
        on_open_change=on_open_change,
        max_width=max_width,
    )
