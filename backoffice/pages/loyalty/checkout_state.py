"""The reception checkout state: find the member, enter the bill, see every discount and
payment before confirming, then record the sale in one transaction."""

from __future__ import annotations

import secrets
from typing import Any

import reflex as rx

from backoffice.db import retry_conflicts, session_scope
from backoffice.errors import DomainError, ValidationFailed
from backoffice.i18n import format_money
from backoffice.money import parse_int, parse_yuan
from backoffice.pages.session import SessionState, SignedOut
from backoffice.services.loyalty import coupons, points, tiers, wallet
from backoffice.services.loyalty.sales import SaleInput, SaleItem, quote_sale, record_sale
from backoffice.services.members.counter import look_up
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

    def _find(self, ref: str, presented: str = "") -> Any:
        self.errors = {}
        try:
            with session_scope() as session:
                actor = self._actor(session)
                member = look_up(session, actor, ref[:40], presented[:60])
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
            if isinstance(exc, DomainError) and exc.field in ("member_ref", "presented"):
                self.errors = {exc.field or "": self._error(exc)}
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
        # Another store's coupon codes are never shown: the name is enough to choose one.
        self.coupon_options = [
            [str(c.id), f"{t.name} · {c.code}" if in_scope else t.name] for c, t in usable
        ]
        self.member_found = True
        self.quoted = False
        self.form_key += 1
        return None

    @rx.event
    def find_member(self, form: dict[str, Any]) -> Any:
        return self._find(str(form.get("member_ref", "")), str(form.get("presented", "")))

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
