"""What the receipt page shows: the sale as a receipt, its refunds, and the refund steps
(state in receipt.py)."""

from __future__ import annotations

from typing import Any

import reflex as rx

from backoffice.components.fields import labelled
from backoffice.pages.session import tr


def _pair(label: Any, value: Any, id_: str = "") -> rx.Component:
    return rx.hstack(
        rx.text(label, size="2", color_scheme="gray"),
        rx.spacer(),
        rx.text(value, size="2", weight="medium", **({"id": id_} if id_ else {})),
        width="100%",
    )


def _receipt(S: Any) -> rx.Component:  # noqa: N803
    head = S.head
    return rx.card(
        rx.vstack(
            rx.heading(head["store"], size="4", id="receipt-store"),
            _pair(tr("receipt.no"), head["no"], "receipt-no"),
            _pair(tr("col.time"), head["at"]),
            _pair(tr("receipt.clerk"), head["clerk"], "receipt-clerk"),
            rx.hstack(
                rx.text(tr("receipt.member"), size="2", color_scheme="gray"),
                rx.spacer(),
                rx.link(head["member"], href="/member?id=" + head["member_id"], size="2"),
                width="100%",
            ),
            rx.separator(),
            rx.foreach(
                S.lines,
                lambda line: rx.hstack(
                    rx.text(line["name"] + " × " + line["qty"], size="2"),
                    rx.spacer(),
                    rx.text(line["amount"], size="2"),
                    width="100%",
                    class_name="receipt-line",
                ),
            ),
            rx.separator(),
            rx.foreach(S.totals, lambda row: _pair(row[0], row[1])),
            _pair(tr("receipt.pay_method"), head["pay"]),
            rx.separator(),
            _pair(tr("col.status"), head["status"], "receipt-status"),
            _pair(tr("receipt.left"), head["left"], "receipt-left"),
            spacing="2",
            width="100%",
        ),
        max_width="440px",
        width="100%",
        id="receipt",
    )


def _refunds(S: Any) -> rx.Component:  # noqa: N803
    return rx.cond(
        S.refunds.length() > 0,
        rx.card(
            rx.vstack(
                rx.text(tr("receipt.refunds"), weight="bold", size="2"),
                rx.foreach(
                    S.refunds,
                    lambda r: rx.text(
                        r["at"] + " · " + r["who"] + " · " + r["amount"] + " · " + r["reason"],
                        size="2",
                        class_name="receipt-refund",
                    ),
                ),
                spacing="1",
            ),
            max_width="440px",
            width="100%",
        ),
    )


def _form(S: Any) -> rx.Component:  # noqa: N803
    return rx.card(
        rx.form(
            rx.vstack(
                rx.text(tr("receipt.refund_title"), weight="bold"),
                labelled(
                    tr("receipt.refund_amount"),
                    rx.input(
                        name="amount",
                        default_value=S.amount_text,
                        id="refund-amount",
                        input_mode="decimal",
                    ),
                    S.errors.get("amount_cents", ""),
                    hint=tr("receipt.left") + "：" + S.head["left"],
                ),
                labelled(
                    tr("common.reason"),
                    rx.input(name="reason", default_value=S.reason, id="refund-reason"),
                    S.errors.get("reason", ""),
                ),
                rx.hstack(
                    rx.button(tr("receipt.next"), type="submit", id="refund-next"),
                    rx.button(
                        tr("common.cancel"),
                        type="button",
                        variant="soft",
                        color_scheme="gray",
                        on_click=S.cancel_refund,
                    ),
                    spacing="2",
                ),
                spacing="3",
                align="stretch",
            ),
            on_submit=S.review,
            reset_on_submit=False,
        ),
        max_width="440px",
        width="100%",
        id="refund-form",
    )


def _confirm(S: Any) -> rx.Component:  # noqa: N803
    return rx.callout.root(
        rx.callout.icon(rx.icon("circle-alert")),
        rx.vstack(
            rx.text(S.question, size="2", id="refund-question"),
            rx.hstack(
                rx.button(
                    tr("receipt.confirm"),
                    color_scheme="red",
                    on_click=S.confirm_refund,
                    id="refund-confirm",
                ),
                rx.button(
                    tr("receipt.back"), variant="soft", color_scheme="gray", on_click=S.back_to_form
                ),
                spacing="2",
            ),
            spacing="2",
        ),
        color_scheme="orange",
        max_width="440px",
        id="refund-confirm-step",
    )


def receipt_body(S: Any) -> rx.Component:  # noqa: N803
    return rx.cond(
        S.found,
        rx.vstack(
            rx.cond(
                S.done_message != "",
                rx.callout(
                    S.done_message, icon="circle-check", color_scheme="green", id="refund-done"
                ),
            ),
            rx.match(
                S.step,
                ("form", _form(S)),
                ("confirm", _confirm(S)),
                rx.cond(
                    S.can_refund,
                    rx.button(
                        tr("loyalty.refund"),
                        color_scheme="red",
                        variant="soft",
                        on_click=S.start_refund,
                        id="refund-start",
                        width="fit-content",
                    ),
                ),
            ),
            _receipt(S),
            _refunds(S),
            spacing="3",
            width="100%",
        ),
        rx.text(tr("error.not_found"), color_scheme="gray"),
    )
