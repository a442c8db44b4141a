"""The member page's visit cards (次卡): each card with its visits left and last valid day,
核销 1 次 in one click, selling a card and refunding one (退卡) with the amount shown first.
Every id that comes from the browser is checked again by the services (the member in the
clerk's scope, the card held by that member)."""

from __future__ import annotations

import secrets
from typing import Any

import reflex as rx

from backoffice.components.dialogs import confirm_dialog
from backoffice.components.fields import labelled
from backoffice.components.tables import Column, data_table
from backoffice.db import retry_conflicts, session_scope
from backoffice.errors import DomainError, PermissionDenied, ValidationFailed
from backoffice.i18n import format_day, format_money
from backoffice.pages.members.detail import MemberDetailState
from backoffice.pages.session import SignedOut, tr
from backoffice.services.loyalty.card_products import products_for_sale
from backoffice.services.loyalty.policy import current_settings
from backoffice.services.loyalty.visit_card_ledger import cards_of_member
from backoffice.services.loyalty.visit_cards import (
    redeem_visit,
    refund_value,
    refund_visit_card,
    sell_visit_card,
)
from backoffice.services.members.counter import counter_store


class VisitCardsState(MemberDetailState):
    cards: list[dict[str, str]] = []
    product_options: list[list[str]] = []
    card_dialog: str = ""  # "sell" | "refund"
    card_errors: dict[str, str] = {}
    refund_card_id: int = 0
    refund_text: str = ""
    _card_request: str = ""

    def _load_cards(self) -> Any:
        try:
            with session_scope() as session:
                actor = self._actor(session)
                rows = cards_of_member(session, actor, self.member_id)
                store = counter_store(session, actor, self.member_id)
                try:
                    products = products_for_sale(session, actor, store)
                except PermissionDenied:  # may look, not sell
                    products = []
        except (SignedOut, DomainError):
            self.cards = []
            return None
        lang = self.lang
        self.cards = [
            {
                "id": str(c.id),
                "name": c.name,
                "card_no": c.card_no,
                "left": self._tr("card.unlimited")
                if c.visits_total is None
                else self._tr("card.left_of", left=c.visits_left, total=c.visits_total),
                "until": format_day(c.expires_at, lang),
                "status": str(c.status),
                "status_label": self._tr(f"card.status.{c.status}"),
            }
            for c in rows
        ]
        self.product_options = [
            [str(p.id), f"{p.name} · {format_money(p.price_cents, lang)}"] for p in products
        ]
        return None

    @rx.event
    def open_cards(self) -> Any:
        self.card_dialog = ""
        return self._load_cards()

    @rx.event
    def open_sell(self) -> None:
        self.card_dialog, self.card_errors = "sell", {}
        self._card_request = secrets.token_hex(12)  # a double click sells once

    @rx.event
    def open_card_refund(self, card_id: str) -> Any:
        self.card_dialog, self.card_errors = "", {}
        self.refund_card_id = int(card_id) if str(card_id).isdigit() else 0
        try:
            with session_scope() as session:
                actor = self._actor(session)
                card = next(
                    (
                        c
                        for c in cards_of_member(session, actor, self.member_id)
                        if c.id == self.refund_card_id
                    ),
                    None,
                )
                fee = current_settings(session).card_refund_fee_bp
        except (SignedOut, DomainError) as exc:
            return self._fail(exc)
        if card is None:
            return rx.toast.error(self._tr("error.card_not_found"))
        amount = refund_value(card, None, fee)
        self.refund_text = self._tr(
            "card.refund_amount", amount=format_money(amount, self.lang), fee=f"{fee / 100:g}%"
        )
        self.card_dialog = "refund"
        return None

    @rx.event
    def close_card_dialog(self) -> None:
        self.card_dialog = ""

    def _card_write(self, work: Any, done_key: str) -> Any:
        def once() -> Any:
            with session_scope() as session:
                actor = self._actor(session)
                return work(session, actor, counter_store(session, actor, self.member_id))

        try:
            retry_conflicts(once)
        except ValidationFailed as exc:
            if self.card_dialog:
                self.card_errors = self._field_errors(exc)
                return None
            return self._fail(exc)
        except (SignedOut, DomainError) as exc:
            self.card_dialog = ""
            return self._fail(exc)
        self.card_dialog = ""
        self._load_cards()
        return rx.toast.success(self._tr(done_key))

    @rx.event
    def redeem_one(self, card_id: str) -> Any:
        """核销 1 次 (a card covering several services asks the service at the till)."""
        raw = int(card_id) if str(card_id).isdigit() else 0
        return self._card_write(
            lambda session, actor, store: redeem_visit(
                session, actor, store, raw, member_id=self.member_id
            ),
            "card.redeemed",
        )

    @rx.event
    def submit_sell(self, form: dict[str, Any]) -> Any:
        raw = str(form.get("product", ""))
        return self._card_write(
            lambda session, actor, store: sell_visit_card(
                session,
                actor,
                store,
                int(raw) if raw.isdigit() else 0,
                member_id=self.member_id,
                pay_method=str(form.get("pay_method") or "cash"),
                request_id=self._card_request,
            ),
            "card.sold",
        )

    @rx.event
    def submit_card_refund(self, form: dict[str, Any]) -> Any:
        return self._card_write(
            lambda session, actor, store: refund_visit_card(
                session,
                actor,
                store,
                self.refund_card_id,
                member_id=self.member_id,
                refund_to=str(form.get("refund_to") or "cash"),
            ),
            "card.refunded",
        )


def _card_actions(row: rx.Var) -> rx.Component:
    active = row["status"] == "active"
    return rx.hstack(
        rx.cond(
            VisitCardsState.perms.contains("sales.create") & active,
            rx.button(
                tr("card.redeem_one"),
                size="1",
                on_click=VisitCardsState.redeem_one(row["id"]),
                class_name="card-redeem",
            ),
        ),
        rx.cond(
            VisitCardsState.perms.contains("sales.refund") & active,
            rx.button(
                tr("card.refund"),
                size="1",
                variant="soft",
                color_scheme="red",
                on_click=VisitCardsState.open_card_refund(row["id"]),
                class_name="card-refund",
            ),
        ),
        spacing="2",
    )


def _choice(name: str, id_: str, options: list[tuple[str, str]]) -> rx.Component:
    return rx.select.root(
        rx.select.trigger(width="100%", id=id_),
        rx.select.content(*[rx.select.item(tr(label), value=v) for v, label in options]),
        name=name,
        default_value=options[0][0],
    )


def _sell_dialog() -> rx.Component:
    product = rx.select.root(
        rx.select.trigger(placeholder=tr("member.choose"), width="100%", id="card-product"),
        rx.select.content(
            rx.foreach(VisitCardsState.product_options, lambda o: rx.select.item(o[1], value=o[0]))
        ),
        name="product",
    )
    pay = [("cash", "pay.cash"), ("card", "pay.card"), ("stored_value", "pay.stored_value")]
    return confirm_dialog(
        tr("card.sell"),
        rx.vstack(
            labelled(
                tr("card.product"), product, VisitCardsState.card_errors.get("product_id", "")
            ),
            labelled(
                tr("card.pay_method"),
                _choice("pay_method", "card-pay", pay),
                VisitCardsState.card_errors.get("pay_method", "")
                + VisitCardsState.card_errors.get("wallet", ""),
            ),
            width="100%",
        ),
        confirm_label=tr("common.confirm"),
        cancel_label=tr("common.cancel"),
        on_confirm=VisitCardsState.submit_sell,
        on_cancel=VisitCardsState.close_card_dialog,
        form=True,
        open=VisitCardsState.card_dialog == "sell",
        confirm_id="card-sell-confirm",
    )


def _refund_dialog() -> rx.Component:
    to = [("cash", "card.refund_to_cash"), ("stored_value", "card.refund_to_wallet")]
    return confirm_dialog(
        tr("card.refund"),
        rx.vstack(
            rx.text(VisitCardsState.refund_text, id="card-refund-amount"),
            labelled(
                tr("card.refund_to"),
                _choice("refund_to", "card-refund-to", to),
                VisitCardsState.card_errors.get("card_id", ""),
            ),
            width="100%",
        ),
        confirm_label=tr("common.confirm"),
        cancel_label=tr("common.cancel"),
        on_confirm=VisitCardsState.submit_card_refund,
        on_cancel=VisitCardsState.close_card_dialog,
        form=True,
        danger=True,
        open=VisitCardsState.card_dialog == "refund",
        confirm_id="card-refund-confirm",
    )


def visit_cards_panel() -> rx.Component:
    columns = [
        Column(tr("card.name"), "name"),
        Column(tr("card.number"), "card_no"),
        Column(tr("card.left"), "left"),
        Column(tr("card.valid_until"), "until"),
        Column(tr("col.status"), "status_label"),
        Column("", cell=_card_actions),
    ]
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading(tr("card.title"), size="4"),
                rx.spacer(),
                rx.cond(
                    VisitCardsState.perms.contains("sales.create")
                    & (VisitCardsState.product_options.length() > 0),
                    rx.button(
                        tr("card.sell"),
                        variant="soft",
                        on_click=VisitCardsState.open_sell,
                        id="open-card-sell",
                    ),
                ),
                width="100%",
            ),
            rx.cond(
                VisitCardsState.cards.length() > 0,
                data_table(columns, VisitCardsState.cards, row_class="card-row", size="1"),
                rx.text(tr("card.none"), color_scheme="gray", size="2"),
            ),
            _sell_dialog(),
            _refund_dialog(),
            width="100%",
            spacing="3",
        ),
        id="visit-cards",
        width="100%",
    )
