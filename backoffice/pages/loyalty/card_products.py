"""/settings/cards: the visit cards (次卡) a chain sells, and how they are doing: cards sold,
visits redeemed and the unused value still owed, per store in the reader's scope.

Amounts are typed in yuan; visits left empty mean unlimited within the validity. The
services check `loyalty.manage` (changes) and `loyalty.read` / `reports.read` (reading)."""

from __future__ import annotations

from typing import Any

import reflex as rx

from backoffice.components.fields import labelled
from backoffice.components.tables import Column, data_table
from backoffice.db import session_scope
from backoffice.errors import DomainError, PermissionDenied, ValidationFailed
from backoffice.i18n import format_money
from backoffice.money import parse_int, parse_yuan
from backoffice.pages.layout import shell
from backoffice.pages.session import SessionState, SignedOut, tr
from backoffice.services.loyalty.card_products import (
    ProductInput,
    create_card_product,
    list_card_products,
    set_card_product_active,
)
from backoffice.services.loyalty.visit_card_ledger import card_report
from backoffice.services.org.stores import visible_stores


class CardProductsState(SessionState):
    products: list[dict[str, str]] = []
    figures: list[dict[str, str]] = []
    errors: dict[str, str] = {}
    form_key: int = 0  # a new key empties the form after a product is added

    def _load(self) -> Any:
        try:
            with session_scope() as session:
                actor = self._actor(session)
                rows = list_card_products(session, actor)
                names = {
                    st.id: st.name for st in visible_stores(session, actor, include_inactive=True)
                }
                try:
                    report = card_report(session, actor)
                except PermissionDenied:
                    report = []
        except (SignedOut, DomainError) as exc:
            return self._fail(exc)
        lang = self.lang
        self.products = [
            {
                "id": str(p.id),
                "name": p.name,
                "price": format_money(p.price_cents, lang),
                "visits": str(p.visits) if p.visits else self._tr("card.unlimited"),
                "days": str(p.valid_days),
                "services": "、".join(p.services) or "—",
                "stores": "、".join(names.get(s, str(s)) for s in p.store_ids)
                or self._tr("card.all_stores"),
                "active": "1" if p.active else "",
                "status": self._tr("card.on_sale" if p.active else "card.off_sale"),
            }
            for p in rows
        ]
        self.figures = [
            {
                "store": names.get(f.store_id, str(f.store_id)),
                "sold": str(f.sold),
                "takings": format_money(f.sold_cents, lang),
                "redeemed": str(f.redeemed),
                "active": str(f.active),
                "owed": format_money(f.liability_cents, lang),
            }
            for f in report
        ]
        return None

    @rx.event
    def open_cards_page(self) -> Any:
        self.errors = {}
        return self._load()

    @rx.event
    def add_product(self, form: dict[str, Any]) -> Any:
        self.errors = {}
        try:
            visits_text = str(form.get("visits", "")).strip()
            data = ProductInput(
                name=str(form.get("name", "")),
                price_cents=parse_yuan(form.get("price"), "price_cents"),
                valid_days=parse_int(form.get("valid_days"), "valid_days"),
                visits=parse_int(visits_text, "visits") if visits_text else None,
                services=tuple(
                    s.strip()
                    for s in str(form.get("services", "")).replace("，", ",").split(",")
                    if s.strip()
                ),
            )
            with session_scope() as session:
                create_card_product(session, self._actor(session), data)
        except ValidationFailed as exc:
            self.errors = self._field_errors(exc)
            return None
        except (SignedOut, DomainError) as exc:
            return self._fail(exc)
        self.form_key += 1
        self._load()
        return rx.toast.success(self._tr("card.product_added"))

    @rx.event
    def toggle_product(self, product_id: str, active: str) -> Any:
        raw = int(product_id) if str(product_id).isdigit() else 0
        try:
            with session_scope() as session:
                set_card_product_active(session, self._actor(session), raw, not active)
        except (SignedOut, DomainError) as exc:
            return self._fail(exc)
        return self._load()


def _err(name: str) -> rx.Var:
    return CardProductsState.errors.get(name, "")


def _toggle(row: rx.Var) -> rx.Component:
    return rx.cond(
        CardProductsState.perms.contains("loyalty.manage"),
        rx.button(
            rx.cond(row["active"] == "1", tr("card.stop_selling"), tr("card.resume_selling")),
            size="1",
            variant="soft",
            on_click=CardProductsState.toggle_product(row["id"], row["active"]),
            class_name="product-toggle",
        ),
    )


def _new_product_form() -> rx.Component:
    def field(name: str, label: str, error: str, **props: Any) -> rx.Component:
        return labelled(tr(label), rx.input(name=name, id=f"product-{name}", **props), _err(error))

    return rx.card(
        rx.form(
            rx.vstack(
                rx.heading(tr("card.new_product"), size="3"),
                rx.grid(
                    field("name", "card.name", "name", placeholder="洗剪吹 10 次卡"),
                    field("price", "card.price_yuan", "price_cents", input_mode="decimal"),
                    field("visits", "card.visits_hint", "visits", input_mode="numeric"),
                    field("valid_days", "card.valid_days", "valid_days", input_mode="numeric"),
                    field("services", "card.services_hint", "services"),
                    columns="2",
                    spacing="3",
                    width="100%",
                ),
                rx.button(tr("card.add_product"), type="submit", id="product-add"),
                spacing="3",
                width="100%",
            ),
            on_submit=CardProductsState.add_product,
            key=CardProductsState.form_key,
        ),
        width="100%",
    )


@rx.page(
    route="/settings/cards",
    title="次卡 · Back-office",
    on_load=[SessionState.require_sign_in, CardProductsState.open_cards_page],
)
def card_products_page() -> rx.Component:
    product_columns = [
        Column(tr("card.name"), "name"),
        Column(tr("card.price"), "price"),
        Column(tr("card.visits"), "visits"),
        Column(tr("card.valid_days"), "days"),
        Column(tr("card.services"), "services"),
        Column(tr("card.stores"), "stores"),
        Column(tr("col.status"), "status"),
        Column("", cell=_toggle),
    ]
    figure_columns = [
        Column(tr("card.store"), "store"),
        Column(tr("card.cards_sold"), "sold"),
        Column(tr("card.takings"), "takings"),
        Column(tr("card.visits_redeemed"), "redeemed"),
        Column(tr("card.cards_active"), "active"),
        Column(tr("card.owed"), "owed"),
    ]
    return shell(
        tr("card.products_title"),
        rx.cond(CardProductsState.perms.contains("loyalty.manage"), _new_product_form()),
        rx.card(
            data_table(product_columns, CardProductsState.products, row_class="product-row"),
            width="100%",
        ),
        rx.cond(
            CardProductsState.figures.length() > 0,
            rx.card(
                rx.vstack(
                    rx.heading(tr("card.report_title"), size="3"),
                    rx.text(tr("card.owed_help"), size="1", color_scheme="gray"),
                    data_table(figure_columns, CardProductsState.figures, row_class="figure-row"),
                    width="100%",
                ),
                width="100%",
            ),
        ),
    )
