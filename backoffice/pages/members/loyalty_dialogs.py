"""The member page's counter dialogs: top up, adjust points, issue a coupon, change the tier,
redeem from the catalog (each submits to `LoyaltyState`)."""

from __future__ import annotations

from typing import Any

import reflex as rx

from backoffice.components.dialogs import confirm_dialog
from backoffice.components.fields import field_error, labelled
from backoffice.pages.members.loyalty_state import LoyaltyState
from backoffice.pages.session import tr


def _err(name: str) -> rx.Var:
    return LoyaltyState.dialog_errors.get(name, "")


def _dialog(name: str, title_key: str, body: rx.Component, on_submit: Any) -> rx.Component:
    return confirm_dialog(
        tr(title_key),
        body,
        confirm_label=tr("common.confirm"),
        cancel_label=tr("common.cancel"),
        on_confirm=on_submit,
        on_cancel=LoyaltyState.close_dialog,
        form=True,
        open=LoyaltyState.dialog == name,
        confirm_id=f"{name}-confirm",
    )


def _select(name: str, options: Any, id_: str) -> rx.Component:
    return rx.select.root(
        rx.select.trigger(placeholder=tr("member.choose"), width="100%", id=id_),
        rx.select.content(rx.foreach(options, lambda o: rx.select.item(o[1], value=o[0]))),
        name=name,
    )


def _topup_dialog() -> rx.Component:
    pay = rx.select.root(
        rx.select.trigger(width="100%", id="topup-method"),
        rx.select.content(
            rx.select.item(tr("pay.cash"), value="cash"),
            rx.select.item(tr("pay.card"), value="card"),
        ),
        name="pay_method",
        default_value="cash",
    )
    return _dialog(
        "topup",
        "loyalty.top_up",
        rx.vstack(
            labelled(
                tr("loyalty.amount"),
                rx.input(name="amount", id="topup-amount", input_mode="decimal"),
                _err("amount_cents"),
            ),
            labelled(tr("loyalty.pay_method"), pay, _err("pay_method")),
            field_error(_err("wallet")),
            width="100%",
        ),
        LoyaltyState.submit_topup,
    )


def _points_dialog() -> rx.Component:
    return _dialog(
        "points",
        "loyalty.adjust_points",
        rx.vstack(
            labelled(
                tr("loyalty.points_delta"),
                rx.input(name="points", id="points-delta"),
                _err("points"),
            ),
            labelled(
                tr("common.reason"), rx.input(name="reason", id="points-reason"), _err("reason")
            ),
            width="100%",
        ),
        LoyaltyState.submit_points,
    )


def _coupon_dialog() -> rx.Component:
    return _dialog(
        "coupon",
        "loyalty.issue_coupon",
        rx.vstack(
            labelled(
                tr("loyalty.template"),
                _select("template", LoyaltyState.template_options, "coupon-template"),
                _err("template"),
            ),
            width="100%",
        ),
        LoyaltyState.submit_coupon,
    )


def _tier_dialog() -> rx.Component:
    return _dialog(
        "tier",
        "loyalty.set_tier",
        rx.vstack(
            labelled(
                tr("loyalty.tier"),
                _select("tier", LoyaltyState.tier_options, "tier-select"),
                _err("tier"),
            ),
            labelled(
                tr("common.reason"), rx.input(name="reason", id="tier-reason"), _err("reason")
            ),
            width="100%",
        ),
        LoyaltyState.submit_tier,
    )


def _redeem_dialog() -> rx.Component:
    return _dialog(
        "redeem",
        "loyalty.redeem",
        rx.vstack(
            labelled(
                tr("settings.catalog"),
                _select("item", LoyaltyState.catalog_options, "redeem-item"),
                _err("item"),
            ),
            field_error(_err("points")),
            width="100%",
        ),
        LoyaltyState.submit_redeem,
    )


def dialogs() -> rx.Component:
    return rx.fragment(
        _topup_dialog(),
        _points_dialog(),
        _coupon_dialog(),
        _tier_dialog(),
        _redeem_dialog(),
    )
