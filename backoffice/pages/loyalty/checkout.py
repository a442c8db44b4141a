"""The reception checkout: find the member, enter the bill, see every discount and payment
before confirming, then record the sale in one transaction."""

from __future__ import annotations

import secrets
from typing import Any

import reflex as rx

from backoffice.components.fields import field_error, labelled
from backoffice.db import retry_conflicts, session_scope
from backoffice.errors import DomainError, ValidationFailed
from backoffice.i18n import format_money
from backoffice.money import parse_int, parse_yuan
from backoffice.pages.layout import shell
from backoffice.pages.session import SessionState, SignedOut, tr
from backoffice.services.loyalty import coupons, points, tiers, wallet
from backoffice.services.loyalty.sales import SaleInput, SaleItem, quote_sale, record_sale
from backoffice.services.members.counter import find_member_at_counter
from backoffice.services.org.access import require
from backoffice.services.org.stores import visible_stores
from backoffice.services.phones import mask_phone

NO_COUPON = "none"


class CheckoutState(SessionState):
    member_found: bool = False
    member_line: str = ""
    member_no: str = ""
    member_link: str = ""
    points_hint: str = ""
    wallet_hint: str = ""
    coupon_options: list[list[str]] = []
    store_options: list[list[str]] = []
    store_id: str = ""
    line_ids: list[int] = [0]
    quote: dict[str, str] = {}
    quoted: bool = False
    errors: dict[str, str] = {}
    done_line: str = ""
    form_key: int = 0
    # Backend only: what the clerk saw on the quote is exactly what is recorded.
    _member_ref: str = ""
    _pending: dict[str, Any] = {}
    _request_id: str = ""

    @rx.event
    def open_page(self) -> Any:
        self.quote, self.quoted, self.errors, self.done_line = {}, False, {}, ""
        self.member_found = False
        self.line_ids = [0]
        self._request_id = secrets.token_hex(12)
        try:
            with session_scope() as session:
                actor = self._actor(session)
                require(actor, "sales.create")
                stores = [
                    s
                    for s in visible_stores(session, actor)
                    if not s.is_hq and actor.in_scope(s.id)
                ]
        except (SignedOut, DomainError) as exc:
            return self._fail(exc)
        self.store_options = [[str(s.id), s.name] for s in stores]
        self.store_id = (
            self.store_options[0][0]
            if len(self.store_options) == 1
            else (self.store_id if any(o[0] == self.store_id for o in self.store_options) else "")
        )
        ref = self.router.url.query_parameters.get("member", "")
        if ref:
            return self._find(ref)
        return None

    def _find(self, ref: str) -> Any:
        self.errors = {}
        try:
            with session_scope() as session:
                actor = self._actor(session)
                member = find_member_at_counter(session, actor, ref[:40])
                tier = tiers.tier_of(session, member)
                balance = points.balance_of(session, member.id or 0)
                principal, bonus = wallet.balances(session, member.id or 0)
                usable = coupons.member_coupons(session, member.id or 0, usable_only=True)
                in_scope = actor.in_scope(member.home_store_id)
                phone = member.phone
        except ValidationFailed as exc:
            self.errors = self._field_errors(exc)
            self.member_found = False
            return None
        except (SignedOut, DomainError) as exc:
            if isinstance(exc, DomainError) and exc.field == "member_ref":
                self.errors = {"member_ref": self._error(exc)}
                self.member_found = False
                return None
            return self._fail(exc)
        self._member_ref = member.member_no
        self.member_no = member.member_no
        self.member_line = " · ".join(
            x
            for x in (member.name, member.member_no, mask_phone(phone), tier.name if tier else "")
            if x
        )
        self.member_link = f"/member?id={member.id}" if in_scope else ""
        self.points_hint = self._tr("checkout.points_hint", balance=f"{balance:,}", max="…")
        self.wallet_hint = self._tr(
            "checkout.wallet_hint", balance=format_money(principal + bonus, self.lang)
        )
        self.coupon_options = [[str(c.id), f"{t.name} · {c.code}"] for c, t in usable]
        self.member_found = True
        self.quoted = False
        self.form_key += 1
        return None

    @rx.event
    def find_member(self, form: dict[str, Any]) -> Any:
        return self._find(str(form.get("member_ref", "")))

    @rx.event
    def add_line(self) -> None:
        self.line_ids = [*self.line_ids, max(self.line_ids, default=-1) + 1][:30]
        self.quoted = False

    @rx.event
    def remove_line(self, line_id: int) -> None:
        if len(self.line_ids) > 1:
            self.line_ids = [i for i in self.line_ids if i != line_id]
        self.quoted = False

    @rx.event
    def set_store(self, value: str) -> None:
        self.store_id = value
        self.quoted = False

    @rx.event
    def changed(self) -> None:
        """Any edit after a quote: the clerk must calculate again before confirming."""
        self.quoted = False

    def _input_from(self, form: dict[str, Any]) -> SaleInput:
        items = []
        for i in self.line_ids:
            name = str(form.get(f"name_{i}", "")).strip()
            price = str(form.get(f"price_{i}", "")).strip()
            if not name and not price:
                continue
            items.append(
                SaleItem(
                    name=name,
                    category=str(form.get(f"category_{i}", "")),
                    qty=parse_int(form.get(f"qty_{i}") or "1", f"items.{i}.qty"),
                    unit_cents=parse_yuan(price, f"items.{i}.unit_cents", allow_zero=True),
                )
            )
        coupon = str(form.get("coupon", NO_COUPON))
        return SaleInput(
            member_ref=self._member_ref,
            store_id=int(self.store_id or 0),
            items=items,
            amount_cents=0 if items else parse_yuan(form.get("amount"), "amount_cents"),
            coupon_id=int(coupon) if coupon.isdigit() else None,
            points_to_use=parse_int(form.get("points"), "points_to_use"),
            wallet_cents=parse_yuan(form.get("wallet"), "wallet_cents", allow_zero=True),
            pay_method=str(form.get("pay_method") or "cash"),
            request_id=self._request_id,
        )

    @rx.event
    def calculate(self, form: dict[str, Any]) -> Any:
        self.errors, self.quoted = {}, False
        if not self.member_found:
            self.errors = {"member_ref": self._tr("error.required")}
            return None
        if not self.store_id:
            self.errors = {"store_id": self._tr("error.required")}
            return None
        try:
            data = self._input_from(form)
            with session_scope() as session:
                q = quote_sale(session, self._actor(session), data)
        except ValidationFailed as exc:
            self.errors = self._field_errors(exc)
            return None
        except (SignedOut, DomainError) as exc:
            return self._fail(exc)
        money = lambda cents: format_money(cents, self.lang)  # noqa: E731
        self.quote = {
            "gross": money(q.gross_cents),
            "tier": f"-{money(q.tier_discount_cents)}",
            "tier_name": q.tier_name,
            "coupon": f"-{money(q.coupon_discount_cents)}",
            "due": money(q.due_cents),
            "points": f"-{money(q.points_cash_cents)} ({q.points_used})",
            "wallet": f"-{money(q.wallet_principal_cents + q.wallet_bonus_cents)}",
            "pay": money(q.paid_cents),
            "earn": f"+{q.points_earned}",
        }
        self.points_hint = self._tr(
            "checkout.points_hint", balance=f"{q.points_balance:,}", max=f"{q.max_points:,}"
        )
        self._pending = data.model_dump()
        self.quoted = True
        return None

    @rx.event
    def confirm(self) -> Any:
        if not self.quoted or not self._pending:
            return None

        def once() -> int | None:
            with session_scope() as session:
                return record_sale(session, self._actor(session), SaleInput(**self._pending)).id

        try:
            sale_id = retry_conflicts(once)  # a PostgreSQL deadlock: the whole sale again
        except ValidationFailed as exc:
            self.errors = self._field_errors(exc)
            self.quoted = False
            return None
        except (SignedOut, DomainError) as exc:
            return self._fail(exc)
        self.done_line = self._tr("checkout.done", sale=sale_id)
        self.quoted = False
        self._pending = {}
        self._request_id = secrets.token_hex(12)
        return rx.toast.success(self.done_line)

    @rx.event
    def next_sale(self) -> Any:
        self.done_line, self.quote, self.line_ids = "", {}, [0]
        self.form_key += 1
        if self._member_ref:
            return self._find(self._member_ref)
        return None


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
