"""/sales/receipt?id=N: a sale as a receipt, and its refund in three steps (the amount left
prefilled, a confirmation, a success message). `&refund=1` opens the refund at once (the
member page's 退款 button). Permission and store scope are the services' (receipts, refunds)."""

from __future__ import annotations

import secrets
from typing import Any

import reflex as rx

from backoffice.db import retry_conflicts, session_scope
from backoffice.errors import DomainError, ValidationFailed
from backoffice.i18n import format_money, format_when
from backoffice.money import parse_yuan, yuan
from backoffice.pages.layout import shell
from backoffice.pages.loyalty.receipt_view import receipt_body
from backoffice.pages.session import SessionState, SignedOut, tr
from backoffice.services.loyalty.receipts import Receipt, sale_receipt
from backoffice.services.loyalty.refunds import refund_sale


class ReceiptState(SessionState):
    sale_id: int = 0
    found: bool = False
    head: dict[str, str] = {}
    lines: list[dict[str, str]] = []
    totals: list[list[str]] = []  # [label, amount]
    refunds: list[dict[str, str]] = []
    can_refund: bool = False
    # "" (the receipt), "form" (amount and reason), "confirm" (the question before it is done)
    step: str = ""
    amount_text: str = ""
    reason: str = ""
    errors: dict[str, str] = {}
    question: str = ""
    done_message: str = ""
    _amount_cents: int = 0
    _request_id: str = ""

    def _money(self, cents: int) -> str:
        return format_money(cents, self.lang)

    def _load(self) -> Receipt | None:
        try:
            with session_scope() as session:
                receipt = sale_receipt(session, self._actor(session), self.sale_id)
        except (SignedOut, DomainError) as exc:
            self.found = False
            self._fail(exc)
            return None
        self.found = True
        self._show(receipt)
        return receipt

    def _show(self, r: Receipt) -> None:
        s, money = r.sale, self._money
        self.head = {
            "no": str(s.id),
            "at": format_when(s.created_at, self.lang),
            "store": r.store_name,
            "clerk": r.clerk_name,
            "member": f"{r.member_name}（{r.member_no}）",
            "member_id": str(r.member_id),
            "status": self._tr(f"sale.{s.status.value}"),
            "left": money(r.refundable_cents),
            "pay": self._tr(f"pay.{s.pay_method}"),
        }
        self.lines = [
            {
                "name": str(i.get("name", "")),
                "qty": str(i.get("qty", 1)),
                "amount": money(int(i.get("unit_cents", 0)) * int(i.get("qty", 1))),
            }
            for i in s.items
        ]
        rows = [
            ("checkout.gross", s.gross_cents),
            ("checkout.tier_discount", -s.tier_discount_cents),
            ("checkout.coupon_discount", -s.coupon_discount_cents),
            ("checkout.due", s.due_cents),
            ("checkout.points_cash", s.points_cash_cents),
            ("checkout.wallet_pay", s.wallet_principal_cents + s.wallet_bonus_cents),
            ("checkout.to_pay", s.paid_cents),
        ]
        self.totals = [[self._tr(k), money(v)] for k, v in rows if v or k == "checkout.due"]
        self.totals.append([self._tr("checkout.earn"), str(s.points_earned)])
        self.refunds = [
            {
                "at": format_when(x.refund.created_at, self.lang),
                "amount": money(x.refund.amount_cents),
                "who": x.clerk_name,
                "reason": x.refund.reason,
            }
            for x in r.refunds
        ]
        self.can_refund = r.can_refund

    @rx.event
    def open_page(self) -> Any:
        params = self.router.url.query_parameters
        raw = str(params.get("id", ""))
        self.sale_id = int(raw) if raw.isdigit() else -1
        self.step, self.done_message, self.errors = "", "", {}
        receipt = self._load()
        if receipt is not None and receipt.can_refund and params.get("refund") == "1":
            self._start(receipt)
        return None

    def _start(self, receipt: Receipt) -> None:
        self.step = "form"
        self.amount_text = yuan(receipt.refundable_cents)  # what is left, prefilled
        self.reason = ""
        self.errors = {}
        self.done_message = ""
        self._request_id = secrets.token_hex(12)  # one per refund: a double click pays once

    @rx.event
    def start_refund(self) -> Any:
        receipt = self._load()
        if receipt is not None and receipt.can_refund:
            self._start(receipt)

    @rx.event
    def review(self, form: dict[str, Any]) -> None:
        """Step two: the amount and reason read back as a question; nothing is written yet."""
        self.amount_text = str(form.get("amount", "")).strip()
        self.reason = str(form.get("reason", "")).strip()
        self.errors = {}
        try:
            cents = parse_yuan(self.amount_text, "amount_cents")
        except ValidationFailed as exc:
            self.errors = self._field_errors(exc)
            return
        if not self.reason:
            self.errors = {"reason": self._tr("error.reason_required")}
            return
        self._amount_cents = cents
        self.question = self._tr(
            "receipt.confirm_question",
            amount=self._money(cents),
            member=self.head.get("member", ""),
            sale=self.head.get("no", ""),
            reason=self.reason,
        )
        self.step = "confirm"

    @rx.event
    def back_to_form(self) -> None:
        self.step = "form"

    @rx.event
    def cancel_refund(self) -> None:
        self.step = ""

    @rx.event
    def confirm_refund(self) -> Any:
        """Step three: the refund, checked again by the service (permission, store, amount)."""

        def once() -> Any:
            with session_scope() as session:
                actor = self._actor(session)
                return refund_sale(
                    session,
                    actor,
                    self.sale_id,
                    self._amount_cents,
                    self.reason,
                    request_id=self._request_id,
                )

        try:
            refund = retry_conflicts(once)
        except ValidationFailed as exc:
            self.errors = self._field_errors(exc)
            self.step = "form"
            return None
        except (SignedOut, DomainError) as exc:
            self.step = ""
            return self._fail(exc)
        self.step = ""
        self.done_message = self._tr(
            "receipt.refund_done",
            amount=self._money(refund.amount_cents),
            cash=self._money(refund.cash_returned_cents),
            wallet=self._money(refund.wallet_principal_restored + refund.wallet_bonus_restored),
            points_back=refund.points_restored,
            points_reversed=refund.points_reversed,
        )
        self._load()
        return rx.toast.success(self.done_message)


@rx.page(
    route="/sales/receipt",
    title="Receipt · Back-office",
    on_load=[SessionState.require_sign_in, ReceiptState.open_page],
)
def receipt_page() -> rx.Component:
    return shell(
        tr("receipt.title"),
        receipt_body(ReceiptState),
    )
