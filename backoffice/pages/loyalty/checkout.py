"""The reception checkout page: the member box, the bill and the quote (the state that
finds the member and records the sale is in checkout_state)."""

from __future__ import annotations

import reflex as rx

from backoffice.components.fields import field_error, labelled
from backoffice.pages.layout import shell
from backoffice.pages.loyalty.checkout_state import NO_COUPON, CheckoutState
from backoffice.pages.session import SessionState, tr

__all__ = ["CheckoutState", "checkout_page"]


def _err(name: str) -> rx.Var:
    return CheckoutState.errors.get(name, "")


def _line(line_id: rx.Var) -> rx.Component:
    sid = line_id.to_string()
    return rx.hstack(
        rx.input(
            name="name_" + sid,
            placeholder=tr("checkout.item_name"),
            flex="3",
            class_name="line-name",
            on_change=CheckoutState.changed,
        ),
        rx.input(
            name="category_" + sid,
            placeholder=tr("checkout.item_category"),
            flex="2",
            on_change=CheckoutState.changed,
        ),
        rx.input(
            name="qty_" + sid,
            placeholder=tr("checkout.item_qty"),
            default_value="1",
            width="70px",
            class_name="line-qty",
            on_change=CheckoutState.changed,
        ),
        rx.input(
            name="price_" + sid,
            placeholder=tr("checkout.item_price"),
            flex="2",
            class_name="line-price",
            input_mode="decimal",
            on_change=CheckoutState.changed,
        ),
        rx.icon_button(
            rx.icon("x", size=14),
            type="button",
            variant="ghost",
            color_scheme="gray",
            on_click=CheckoutState.remove_line(line_id),
        ),
        width="100%",
    )


def _row(label_key: str, key: str, strong: bool = False) -> rx.Component:
    return rx.hstack(
        rx.text(tr(label_key), size="2"),
        rx.spacer(),
        rx.text(
            CheckoutState.quote.get(key, ""),
            size="3" if strong else "2",
            weight="bold" if strong else "regular",
            id=f"quote-{key}",
        ),
        width="100%",
    )


def member_box() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.form(
                rx.hstack(
                    rx.input(
                        name="member_ref",
                        placeholder=tr("checkout.member"),
                        id="checkout-member",
                        default_value=CheckoutState.member_no,
                        width="320px",
                    ),
                    rx.input(
                        name="presented",
                        placeholder=tr("checkout.presented"),
                        id="checkout-presented",
                        width="220px",
                    ),
                    rx.button(tr("checkout.find"), type="submit", id="checkout-find"),
                    rx.cond(
                        CheckoutState.member_found,
                        rx.cond(
                            CheckoutState.member_link != "",
                            rx.link(
                                CheckoutState.member_line,
                                href=CheckoutState.member_link,
                                id="checkout-member-line",
                            ),
                            rx.text(CheckoutState.member_line, id="checkout-member-line"),
                        ),
                    ),
                    align="center",
                    spacing="3",
                ),
                on_submit=CheckoutState.find_member,
                reset_on_submit=False,
            ),
            field_error(_err("member_ref")),
            field_error(_err("presented")),
            rx.text(tr("checkout.presented_hint"), size="1", color_scheme="gray"),
            spacing="1",
        )
    )


def bill_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            labelled(
                tr("checkout.store"),
                rx.select.root(
                    rx.select.trigger(placeholder=tr("member.choose"), id="checkout-store"),
                    rx.select.content(
                        rx.foreach(
                            CheckoutState.store_options, lambda s: rx.select.item(s[1], value=s[0])
                        )
                    ),
                    value=CheckoutState.store_id,
                    on_change=CheckoutState.set_store,
                ),
                _err("store_id"),
            ),
            rx.text(tr("checkout.items"), size="2", weight="medium"),
            rx.foreach(CheckoutState.line_ids, _line),
            field_error(_err("items")),
            rx.button(
                rx.icon("plus", size=14),
                tr("checkout.add_item"),
                type="button",
                variant="soft",
                size="1",
                on_click=CheckoutState.add_line,
                id="add-line",
            ),
            rx.grid(
                labelled(
                    tr("checkout.free_amount"),
                    rx.input(
                        name="amount",
                        id="checkout-amount",
                        input_mode="decimal",
                        on_change=CheckoutState.changed,
                    ),
                    _err("amount_cents"),
                ),
                labelled(
                    tr("checkout.coupon"),
                    rx.select.root(
                        rx.select.trigger(width="100%", id="checkout-coupon"),
                        rx.select.content(
                            rx.select.item(tr("checkout.no_coupon"), value=NO_COUPON),
                            rx.foreach(
                                CheckoutState.coupon_options,
                                lambda c: rx.select.item(c[1], value=c[0]),
                            ),
                        ),
                        name="coupon",
                        default_value=NO_COUPON,
                        on_change=CheckoutState.changed,
                    ),
                    _err("coupon"),
                ),
                labelled(
                    tr("checkout.points"),
                    rx.input(
                        name="points",
                        id="checkout-points",
                        input_mode="numeric",
                        on_change=CheckoutState.changed,
                    ),
                    _err("points_to_use"),
                    hint=CheckoutState.points_hint,
                ),
                labelled(
                    tr("checkout.wallet"),
                    rx.input(
                        name="wallet",
                        id="checkout-wallet",
                        input_mode="decimal",
                        on_change=CheckoutState.changed,
                    ),
                    _err("wallet_cents"),
                    hint=CheckoutState.wallet_hint,
                ),
                labelled(
                    tr("loyalty.pay_method"),
                    rx.select.root(
                        rx.select.trigger(width="100%", id="checkout-pay-method"),
                        rx.select.content(
                            rx.select.item(tr("pay.cash"), value="cash"),
                            rx.select.item(tr("pay.card"), value="card"),
                        ),
                        name="pay_method",
                        default_value="cash",
                    ),
                    _err("pay_method"),
                ),
                columns="2",
                spacing="3",
                width="100%",
            ),
            rx.button(
                rx.icon("calculator", size=14),
                tr("checkout.quote"),
                type="submit",
                size="3",
                variant="soft",
                id="checkout-calculate",
            ),
            spacing="3",
            align="stretch",
            width="100%",
        ),
        on_submit=CheckoutState.calculate,
        reset_on_submit=False,
        key=CheckoutState.form_key,
        id="checkout-form",
    )


def quote_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            _row("checkout.gross", "gross"),
            _row("checkout.tier_discount", "tier"),
            _row("checkout.coupon_discount", "coupon"),
            rx.separator(),
            _row("checkout.due", "due", strong=True),
            _row("checkout.points_cash", "points"),
            _row("checkout.wallet_pay", "wallet"),
            rx.separator(),
            _row("checkout.to_pay", "pay", strong=True),
            _row("checkout.earn", "earn"),
            rx.button(
                tr("checkout.confirm"),
                size="3",
                width="100%",
                disabled=~CheckoutState.quoted,
                on_click=CheckoutState.confirm,
                id="checkout-confirm",
            ),
            spacing="2",
            width="100%",
        ),
        min_width="320px",
    )


@rx.page(
    route="/checkout",
    title="Checkout · Back-office",
    on_load=[SessionState.require_sign_in, CheckoutState.open_page],
)
def checkout_page() -> rx.Component:
    return shell(
        tr("checkout.title"),
        member_box(),
        rx.cond(
            CheckoutState.done_line != "",
            rx.callout(
                rx.hstack(
                    rx.text(CheckoutState.done_line, id="checkout-done"),
                    rx.button(tr("checkout.new"), size="1", on_click=CheckoutState.next_sale),
                    rx.cond(
                        CheckoutState.member_link != "",
                        rx.link(tr("member.profile"), href=CheckoutState.member_link),
                    ),
                    align="center",
                    spacing="3",
                ),
                icon="check",
                color_scheme="green",
            ),
        ),
        rx.cond(
            CheckoutState.member_found & (CheckoutState.done_line == ""),
            rx.hstack(
                rx.card(bill_form(), flex="1"),
                rx.cond(CheckoutState.quote.length() > 0, quote_card()),
                align="start",
                spacing="4",
                width="100%",
            ),
        ),
    )
