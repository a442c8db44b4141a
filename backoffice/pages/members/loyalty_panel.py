"""The loyalty half of the member page, as it shows: tier progress, balances, ledgers, coupons,
sales and the counter actions (state in `loyalty_state`, dialogs in `loyalty_dialogs`)."""

from __future__ import annotations

from typing import Any

import reflex as rx

from backoffice.components.tables import Column, data_table
from backoffice.pages.members.loyalty_dialogs import dialogs
from backoffice.pages.members.loyalty_state import LoyaltyState
from backoffice.pages.session import tr


def _stat(label_key: str, value: Any, sub: Any, id_: str) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.text(tr(label_key), size="1", color_scheme="gray"),
            rx.heading(value, size="6", id=id_),
            rx.text(sub, size="1", color_scheme="gray"),
            spacing="1",
        ),
        flex="1",
    )


def _table(rows: Any, cols: list[tuple[str, str]], row_class: str) -> rx.Component:
    return data_table(
        [Column(tr(label), key) for key, label in cols],
        rows,
        row_class=row_class,
        variant=None,
        size="1",
    )


def _sale_links(row: rx.Var) -> rx.Component:
    """The receipt, and the refund (on the receipt page, where it is confirmed)."""
    return rx.hstack(
        rx.link(
            tr("receipt.view"),
            href="/sales/receipt?id=" + row["id"],
            size="1",
            class_name="receipt-link",
        ),
        rx.cond(
            LoyaltyState.perms.contains("sales.refund") & (row["refundable"] != "0"),
            rx.link(
                tr("loyalty.refund"),
                href="/sales/receipt?refund=1&id=" + row["id"],
                size="1",
                color_scheme="red",
                class_name="refund-button",
            ),
        ),
        spacing="3",
    )


def _sales_table() -> rx.Component:
    cols = [
        ("at", "col.time"),
        ("items", "checkout.items"),
        ("due", "col.total"),
        ("paid", "col.paid"),
        ("earned", "col.earned"),
        ("status", "col.status"),
    ]
    return data_table(
        [*[Column(tr(label), key) for key, label in cols], Column("", cell=_sale_links)],
        LoyaltyState.sales,
        row_class="sale-row",
        variant=None,
        size="1",
    )


def _action(perm: str, label_key: str, dialog: str) -> rx.Component:
    return rx.cond(
        LoyaltyState.perms.contains(perm),
        rx.button(
            tr(label_key),
            variant="soft",
            on_click=LoyaltyState.open_dialog(dialog),
            id=f"open-{dialog}",
        ),
    )


def _balances() -> rx.Component:
    return rx.hstack(
        rx.card(
            rx.vstack(
                rx.text(tr("loyalty.tier"), size="1", color_scheme="gray"),
                rx.heading(LoyaltyState.tier_name, size="6", id="tier-name"),
                rx.progress(value=LoyaltyState.progress, width="100%"),
                rx.text(LoyaltyState.next_line, size="1", color_scheme="gray", id="tier-next"),
                spacing="1",
                width="100%",
            ),
            flex="1",
        ),
        _stat("loyalty.points", LoyaltyState.points_balance, "", "points-balance"),
        _stat(
            "loyalty.wallet",
            LoyaltyState.wallet_total,
            LoyaltyState.wallet_split,
            "wallet-balance",
        ),
        width="100%",
        spacing="3",
    )


def _actions() -> rx.Component:
    return rx.hstack(
        rx.cond(
            LoyaltyState.perms.contains("sales.create")
            & (LoyaltyState.member["status"] == "active"),
            rx.link(
                rx.button(
                    rx.icon("shopping-cart", size=14),
                    tr("loyalty.checkout"),
                    id="open-checkout",
                ),
                href="/checkout?member=" + LoyaltyState.member["member_no"],
            ),
        ),
        _action("wallet.topup", "loyalty.top_up", "topup"),
        _action("points.adjust", "loyalty.adjust_points", "points"),
        _action("coupons.issue", "loyalty.issue_coupon", "coupon"),
        _action("tiers.set", "loyalty.set_tier", "tier"),
        _action("points.redeem", "loyalty.redeem", "redeem"),
        spacing="2",
        wrap="wrap",
    )


LEDGER_COLUMNS = [
    ("at", "col.time"),
    ("kind", "col.kind"),
    ("delta", "col.change"),
    ("balance", "col.balance"),
    ("note", "col.note"),
]
COUPON_COLUMNS = [
    ("code", "col.code"),
    ("name", "field.name"),
    ("status", "col.status"),
    ("valid_to", "col.valid_to"),
]
MESSAGE_COLUMNS = [
    ("at", "col.time"),
    ("channel", "col.channel"),
    ("status", "col.status"),
    ("body", "col.message"),
]


def _tab(value: str, content: rx.Component) -> rx.Component:
    return rx.tabs.content(content, value=value, padding_top="8px")


def _history_tabs() -> rx.Component:
    return rx.tabs.root(
        rx.tabs.list(
            rx.tabs.trigger(tr("loyalty.sales"), value="sales"),
            rx.tabs.trigger(tr("loyalty.points_ledger"), value="points", id="tab-points"),
            rx.tabs.trigger(tr("loyalty.wallet_ledger"), value="wallet", id="tab-wallet"),
            rx.tabs.trigger(tr("loyalty.coupons"), value="coupons", id="tab-coupons"),
            rx.tabs.trigger(tr("loyalty.messages"), value="messages", id="tab-messages"),
        ),
        _tab("sales", _sales_table()),
        _tab("points", _table(LoyaltyState.points_rows, LEDGER_COLUMNS, "points-row")),
        _tab("wallet", _table(LoyaltyState.wallet_rows, LEDGER_COLUMNS, "wallet-row")),
        _tab("coupons", _table(LoyaltyState.coupon_rows, COUPON_COLUMNS, "coupon-row")),
        _tab("messages", _table(LoyaltyState.message_rows, MESSAGE_COLUMNS, "message-row")),
        default_value="sales",
        width="100%",
    )


def loyalty_panel() -> rx.Component:
    return rx.cond(
        LoyaltyState.has_loyalty,
        rx.vstack(
            _balances(),
            _actions(),
            _history_tabs(),
            dialogs(),
            spacing="3",
            width="100%",
            align="stretch",
        ),
    )
