"""The loyalty half of the member page, its state: tier progress, balances, ledgers, coupons,
sales, and the counter actions (top up, adjust points, issue coupon, change tier; a
refund is made on the sale's receipt page)."""

from __future__ import annotations

import secrets
from typing import Any

import reflex as rx

from backoffice.components.tier_text import metric_text
from backoffice.db import retry_conflicts, session_scope
from backoffice.errors import DomainError, ValidationFailed
from backoffice.i18n import format_money, format_when
from backoffice.money import parse_int, parse_yuan
from backoffice.pages.members.detail import MemberDetailState
from backoffice.pages.session import SignedOut
from backoffice.services.loyalty.catalog import list_items, redeem_item
from backoffice.services.loyalty.coupons import issue_coupon, list_templates
from backoffice.services.loyalty.member_summary import MemberLoyalty, member_loyalty
from backoffice.services.loyalty.points import adjust_points
from backoffice.services.loyalty.tiers import list_tiers, set_member_tier
from backoffice.services.loyalty.wallet import top_up
from backoffice.services.members.counter import counter_store
from backoffice.services.messaging.messages import member_messages

DIALOGS = ("topup", "points", "coupon", "tier", "redeem")


class LoyaltyState(MemberDetailState):
    has_loyalty: bool = False
    tier_name: str = ""
    next_line: str = ""
    progress: int = 0
    points_balance: str = "0"
    wallet_total: str = ""
    wallet_split: str = ""
    sales: list[dict[str, str]] = []
    points_rows: list[dict[str, str]] = []
    wallet_rows: list[dict[str, str]] = []
    coupon_rows: list[dict[str, str]] = []
    message_rows: list[dict[str, str]] = []
    template_options: list[list[str]] = []
    catalog_options: list[list[str]] = []
    tier_options: list[list[str]] = []
    dialog: str = ""
    dialog_errors: dict[str, str] = {}
    _request_id: str = ""

    def _money(self, cents: int) -> str:
        return format_money(cents, self.lang)

    def _load_loyalty(self) -> Any:
        try:
            with session_scope() as session:
                actor = self._actor(session)
                if not actor.can("sales.read"):
                    self.has_loyalty = False
                    return None
                data = member_loyalty(session, actor, self.member_id)
                templates = (
                    list_templates(session, actor, include_inactive=False)
                    if actor.can("coupons.issue")
                    else []
                )
                tiers = list_tiers(session, active_only=True)
                items = list_items(session, active_only=True)
                messages = member_messages(session, actor, self.member_id)
        except (SignedOut, DomainError) as exc:
            self.has_loyalty = False
            return self._fail(exc)
        self._show_balances(data)
        self._show_history(data)
        self.message_rows = [
            {
                "at": format_when(m.created_at, self.lang),
                "channel": m.channel.value,
                "status": self._tr(f"message.{m.status.value}"),
                "body": m.body,
            }
            for m in messages
        ]
        self.template_options = [[str(t.id), t.name] for t in templates]
        self.tier_options = [[str(t.id), t.name] for t in tiers]
        self.catalog_options = [
            [
                str(i.id),
                f"{i.name} · {i.points_price:,} {self._tr('loyalty.points')}"
                f" · {self._tr('field.stock')} {i.stock}",
            ]
            for i in items
        ]
        self.has_loyalty = True
        return None

    def _show_balances(self, data: MemberLoyalty) -> None:
        """Tier progress and the points and wallet balances."""
        p = data.progress
        self.tier_name = p.tier.name if p.tier else self._tr("loyalty.no_tier")
        if p.next_tier is None:
            self.next_line, self.progress = self._tr("loyalty.top_tier"), 100
        else:
            left = metric_text(p.next_tier.metric.value, max(0, p.needed - p.value), self.lang)
            self.next_line = self._tr("loyalty.next_tier", tier=p.next_tier.name, left=left)
            self.progress = p.percent
        self.points_balance = f"{data.points_balance:,}"
        self.wallet_total = self._money(data.wallet_principal + data.wallet_bonus)
        self.wallet_split = self._tr(
            "loyalty.wallet_split",
            principal=self._money(data.wallet_principal),
            bonus=self._money(data.wallet_bonus),
        )

    def _show_history(self, data: MemberLoyalty) -> None:
        """Sales, the points and wallet ledgers and the coupons, as the tabs show them."""
        self.sales = [
            {
                "id": str(s.id),
                "at": format_when(s.created_at, self.lang),
                "due": self._money(s.due_cents),
                "paid": self._money(s.paid_cents),
                "earned": str(s.points_earned),
                "status": self._tr(f"sale.{s.status.value}"),
                "refundable": str(s.due_cents - s.refunded_cents),
                "items": "、".join(f"{i['name']}×{i['qty']}" for i in s.items)
                or self._money(s.gross_cents),
            }
            for s in data.sales
        ]
        self.points_rows = [
            {
                "at": format_when(e.created_at, self.lang),
                "kind": self._tr(f"points.{e.kind.value}"),
                "delta": f"{e.delta:+,}",
                "balance": f"{e.balance_after:,}",
                "note": e.note or (f"{e.cause_type} {e.cause_id}".strip()),
            }
            for e in data.points_rows
        ]
        self.wallet_rows = [
            {
                "at": format_when(e.created_at, self.lang),
                "kind": self._tr(f"wallet.{e.kind.value}"),
                "delta": self._money(e.principal_delta + e.bonus_delta),
                "balance": self._money(e.principal_after + e.bonus_after),
                "note": f"{e.cause_type} {e.cause_id}".strip(),
            }
            for e in data.wallet_rows
        ]
        self.coupon_rows = [
            {
                "code": c.code,
                "name": t.name,
                "status": self._tr(f"coupon.{c.status.value}"),
                "valid_to": format_when(c.valid_to, self.lang),
            }
            for c, t in data.coupons
        ]

    @rx.event
    def open_loyalty(self) -> Any:
        self.dialog = ""
        return self._load_loyalty()

    @rx.event
    def open_dialog(self, name: str) -> None:
        self.dialog = name if name in DIALOGS else ""
        self.dialog_errors = {}
        self._request_id = secrets.token_hex(12)  # one per dialog: a double click pays once

    @rx.event
    def close_dialog(self) -> None:
        self.dialog = ""

    def _submit(self, work: Any, done_message: str) -> Any:
        self.dialog_errors = {}

        def once() -> Any:
            with session_scope() as session:
                return work(session, self._actor(session))

        try:
            result = retry_conflicts(once)  # a PostgreSQL deadlock: the whole write again
        except ValidationFailed as exc:
            self.dialog_errors = self._field_errors(exc)
            return None
        except (SignedOut, DomainError) as exc:
            self.dialog = ""
            return self._fail(exc)
        self.dialog = ""
        self._load_loyalty()
        self._reload()
        return rx.toast.success(done_message if isinstance(done_message, str) else result)

    @rx.event
    def submit_topup(self, form: dict[str, Any]) -> Any:
        def work(session, actor):  # noqa: ANN001, ANN202
            amount = parse_yuan(form.get("amount"), "amount_cents")
            entry = top_up(
                session,
                actor,
                counter_store(session, actor, self.member_id),
                amount,
                member_id=self.member_id,
                request_id=self._request_id,
                pay_method=str(form.get("pay_method") or "cash"),
            )
            return entry

        return self._submit(work, self._tr("loyalty.done"))

    @rx.event
    def submit_points(self, form: dict[str, Any]) -> Any:
        return self._submit(
            lambda session, actor: adjust_points(
                session,
                actor,
                self.member_id,
                parse_int(form.get("points"), "points", allow_negative=True),
                str(form.get("reason", "")),
            ),
            self._tr("loyalty.done"),
        )

    @rx.event
    def submit_coupon(self, form: dict[str, Any]) -> Any:
        raw = str(form.get("template", ""))
        return self._submit(
            lambda session, actor: issue_coupon(
                session, actor, int(raw) if raw.isdigit() else 0, self.member_id
            ),
            self._tr("loyalty.done"),
        )

    @rx.event
    def submit_tier(self, form: dict[str, Any]) -> Any:
        raw = str(form.get("tier", ""))
        return self._submit(
            lambda session, actor: set_member_tier(
                session,
                actor,
                self.member_id,
                int(raw) if raw.isdigit() else 0,
                str(form.get("reason", "")),
            ),
            self._tr("loyalty.done"),
        )

    @rx.event
    def submit_redeem(self, form: dict[str, Any]) -> Any:
        raw = str(form.get("item", ""))

        def work(session, actor):  # noqa: ANN001, ANN202
            return redeem_item(
                session,
                actor,
                int(raw) if raw.isdigit() else 0,
                counter_store(session, actor, self.member_id),
                member_id=self.member_id,
                request_id=self._request_id,
            )

        return self._submit(work, self._tr("loyalty.done"))
