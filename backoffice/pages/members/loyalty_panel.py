"""The loyalty half of the member page: tier progress, balances, ledgers, coupons, sales,
and the counter actions (top up, adjust points, issue coupon, change tier, refund)."""

from __future__ import annotations

import secrets
from typing import Any

import reflex as rx

from backoffice.components.dialogs import confirm_dialog
from backoffice.components.fields import field_error, labelled
from backoffice.components.tables import Column, data_table
from backoffice.db import retry_conflicts, session_scope
from backoffice.errors import DomainError, ValidationFailed
from backoffice.i18n import format_money, format_when
from backoffice.models import TierMetric
from backoffice.money import parse_int, parse_yuan
from backoffice.pages.members.detail import MemberDetailState
from backoffice.pages.session import SignedOut, tr
from backoffice.services.loyalty.catalog import list_items, redeem_item
from backoffice.services.loyalty.coupons import issue_coupon, list_templates
from backoffice.services.loyalty.member_summary import member_loyalty
from backoffice.services.loyalty.points import adjust_points
from backoffice.services.loyalty.sales import refund_sale
from backoffice.services.loyalty.tiers import list_tiers, set_member_tier
from backoffice.services.loyalty.wallet import top_up
from backoffice.services.members.counter import counter_store
from backoffice.services.messaging.messages import member_messages

DIALOGS = ("topup", "points", "coupon", "tier", "refund", "redeem")


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
    refund_sale_id: int = 0
    refund_hint: str = ""
    _request_id: str = ""

    def _money(self, cents: int) -> str:
        return format_money(cents, self.lang)

    def _metric_text(self, metric: TierMetric, value: int) -> str:
        if metric == TierMetric.SPEND:
            return self._money(value)
        unit = {
            "visits": "次" if self.lang == "zh-CN" else " visits",
            "points": " 积分" if self.lang == "zh-CN" else " points",
        }[metric.value]
        return f"{value}{unit}"

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
        p = data.progress
        self.tier_name = p.tier.name if p.tier else self._tr("loyalty.no_tier")
        if p.next_tier is None:
            self.next_line, self.progress = self._tr("loyalty.top_tier"), 100
        else:
            left = self._metric_text(p.next_tier.metric, max(0, p.needed - p.value))
            self.next_line = self._tr("loyalty.next_tier", tier=p.next_tier.name, left=left)
            self.progress = p.percent
        self.points_balance = f"{data.points_balance:,}"
        self.wallet_total = self._money(data.wallet_principal + data.wallet_bonus)
        self.wallet_split = self._tr(
            "loyalty.wallet_split",
            principal=self._money(data.wallet_principal),
            bonus=self._money(data.wallet_bonus),
        )
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
    def open_refund(self, sale_id: str, refundable: str) -> None:
        self.open_dialog("refund")
        self.refund_sale_id = int(sale_id) if str(sale_id).isdigit() else 0
        self.refund_hint = self._tr("loyalty.refundable", amount=self._money(int(refundable or 0)))

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

    @rx.event
    def submit_refund(self, form: dict[str, Any]) -> Any:
        return self._submit(
            lambda session, actor: refund_sale(
                session,
                actor,
                self.refund_sale_id,
                parse_yuan(form.get("amount"), "amount_cents"),
                str(form.get("reason", "")),
                request_id=self._request_id,
            ),
            self._tr("loyalty.done"),
        )


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


def _refund_dialog() -> rx.Component:
    return _dialog(
        "refund",
        "loyalty.refund",
        rx.vstack(
            rx.text(LoyaltyState.refund_hint, size="2", color_scheme="gray"),
            labelled(
                tr("loyalty.amount"),
                rx.input(name="amount", id="refund-amount"),
                _err("amount_cents"),
            ),
            labelled(
                tr("common.reason"), rx.input(name="reason", id="refund-reason"), _err("reason")
            ),
            width="100%",
        ),
        LoyaltyState.submit_refund,
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
        _refund_dialog(),
        _redeem_dialog(),
    )


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


def _refund_button(row: rx.Var) -> rx.Component:
    return rx.cond(
        LoyaltyState.perms.contains("sales.refund") & (row["refundable"] != "0"),
        rx.button(
            tr("loyalty.refund"),
            size="1",
            variant="soft",
            color_scheme="red",
            on_click=LoyaltyState.open_refund(row["id"], row["refundable"]),
            class_name="refund-button",
        ),
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
        [*[Column(tr(label), key) for key, label in cols], Column("", cell=_refund_button)],
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
