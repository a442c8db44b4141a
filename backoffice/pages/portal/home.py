"""Signed-in member pages: /m/home (card, tier, balances, history), /m/rewards (redeem
points) and /m/me (profile fields, marketing consent, deletion request, sign out)."""

from __future__ import annotations

import uuid
from typing import Any

import reflex as rx

from backoffice.components.dialogs import confirm_dialog
from backoffice.components.fields import custom_field, custom_field_row, read_custom_value
from backoffice.db import session_scope
from backoffice.errors import DomainError, ValidationFailed
from backoffice.i18n import format_money, format_when
from backoffice.pages.portal.sign_in import (
    MemberSessionState,
    MemberSignedOut,
    brand,
    mtr,
    phone_frame,
)
from backoffice.services.loyalty.tiers import TierMetric
from backoffice.services.portal import self_service as member_self


class MemberHomeState(MemberSessionState):
    member_no: str = ""
    store_name: str = ""
    qr: str = ""
    tier_name: str = ""
    next_line: str = ""
    progress: int = 0
    points_balance: str = "0"
    wallet_total: str = ""
    wallet_split: str = ""
    points_rows: list[dict[str, str]] = []
    wallet_rows: list[dict[str, str]] = []
    coupon_rows: list[dict[str, str]] = []
    sale_rows: list[dict[str, str]] = []

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

    @rx.event
    def open_home(self) -> Any:
        try:
            with session_scope() as session:
                me = self._me(session)
                card = member_self.member_card(session, me)
                view = member_self.overview(session, me)
        except (MemberSignedOut, DomainError) as exc:
            return self._fail(exc)
        self.me_name, self.member_no, self.store_name, self.qr = (
            card.name,
            card.member_no,
            card.store_name,
            card.qr,
        )
        p = view.progress
        self.tier_name = p.tier.name if p.tier else self._tr("loyalty.no_tier")
        if p.next_tier is None:
            self.next_line, self.progress = self._tr("loyalty.top_tier"), 100
        else:
            left = self._metric_text(p.next_tier.metric, max(0, p.needed - p.value))
            self.next_line = self._tr("loyalty.next_tier", tier=p.next_tier.name, left=left)
            self.progress = p.percent
        self.points_balance = f"{view.points_balance:,}"
        self.wallet_total = self._money(view.wallet_principal + view.wallet_bonus)
        self.wallet_split = self._tr(
            "loyalty.wallet_split",
            principal=self._money(view.wallet_principal),
            bonus=self._money(view.wallet_bonus),
        )
        self.points_rows = [
            {
                "at": format_when(e.created_at, self.lang),
                "what": e.note or self._tr(f"points.{e.kind.value}"),
                "delta": f"{e.delta:+,}",
            }
            for e in view.points_rows
        ]
        self.wallet_rows = [
            {
                "at": format_when(e.created_at, self.lang),
                "what": self._tr(f"wallet.{e.kind.value}"),
                "delta": self._money(e.principal_delta + e.bonus_delta),
            }
            for e in view.wallet_rows
        ]
        self.coupon_rows = [
            {
                "name": tpl.name,
                "code": c.code,
                "status": self._tr(f"coupon.{c.status.value}"),
                "valid": self._tr("portal.valid_to", when=format_when(c.valid_to, self.lang)),
            }
            for c, tpl in view.coupons
        ]
        self.sale_rows = [
            {
                "at": format_when(s.created_at, self.lang),
                "what": "、".join(f"{i['name']}×{i['qty']}" for i in s.items)
                or self._money(s.gross_cents),
                "paid": self._money(s.due_cents),
                "status": self._tr(f"sale.{s.status.value}"),
            }
            for s in view.sales
        ]
        return None


def bottom_nav(active: str) -> rx.Component:
    def tab(key: str, icon: str, href: str) -> rx.Component:
        on = key == active
        return rx.link(
            rx.vstack(
                rx.icon(icon, size=20),
                rx.text(mtr(f"portal.tab_{key}"), size="1"),
                spacing="0",
                align="center",
            ),
            href=href,
            color=("var(--accent-11)" if on else "var(--gray-11)"),
            underline="none",
            id=f"m-tab-{key}",
            flex="1",
        )

    return rx.hstack(
        tab("home", "house", "/m/home"),
        tab("rewards", "gift", "/m/rewards"),
        tab("me", "user", "/m/me"),
        position="sticky",
        bottom="0",
        background="var(--color-panel-solid)",
        border_top="1px solid var(--gray-5)",
        padding="8px 0",
        width="100%",
        justify="between",
    )


def _list(rows: rx.Var, left: str, right: str, sub: str, empty_id: str) -> rx.Component:
    return rx.cond(
        rows.length() > 0,
        rx.vstack(
            rx.foreach(
                rows,
                lambda r: rx.hstack(
                    rx.vstack(
                        rx.text(r[left], size="2"),
                        rx.text(r[sub], size="1", color_scheme="gray"),
                        spacing="0",
                    ),
                    rx.spacer(),
                    rx.text(r[right], size="2", weight="medium"),
                    width="100%",
                    padding_y="6px",
                    border_bottom="1px solid var(--gray-4)",
                ),
            ),
            spacing="0",
            width="100%",
        ),
        rx.text(mtr("portal.nothing_yet"), size="2", color_scheme="gray", id=empty_id),
    )


def member_card() -> rx.Component:
    S = MemberHomeState
    return rx.card(
        rx.hstack(
            rx.vstack(
                rx.text(mtr("portal.card"), size="1", color_scheme="gray"),
                rx.heading(S.me_name, size="5", id="m-name"),
                rx.code(S.member_no, size="3", id="m-member-no"),
                rx.text(S.store_name, size="1", color_scheme="gray"),
                rx.badge(S.tier_name, size="2", id="m-tier"),
                spacing="1",
            ),
            rx.spacer(),
            rx.vstack(
                rx.cond(S.qr != "", rx.image(src=S.qr, width="112px", id="m-qr", alt="QR")),
                rx.text(mtr("portal.card_hint"), size="1", color_scheme="gray"),
                align="center",
                spacing="1",
                max_width="130px",
            ),
            width="100%",
        ),
        size="3",
        background="linear-gradient(135deg, var(--accent-3), var(--accent-5))",
    )


def balances() -> rx.Component:
    S = MemberHomeState
    return rx.vstack(
        rx.grid(
            rx.card(
                rx.text(mtr("portal.points"), size="1", color_scheme="gray"),
                rx.heading(S.points_balance, size="6", id="m-points"),
            ),
            rx.card(
                rx.text(mtr("portal.wallet"), size="1", color_scheme="gray"),
                rx.heading(S.wallet_total, size="6", id="m-wallet"),
                rx.text(S.wallet_split, size="1", color_scheme="gray"),
            ),
            columns="2",
            spacing="3",
            width="100%",
        ),
        rx.card(
            rx.vstack(
                rx.hstack(
                    rx.text(mtr("portal.tier"), size="2", weight="medium"),
                    rx.spacer(),
                    rx.text(S.tier_name, size="2"),
                    width="100%",
                ),
                rx.progress(value=S.progress, width="100%"),
                rx.text(S.next_line, size="1", color_scheme="gray", id="m-next-tier"),
                spacing="2",
            ),
        ),
        spacing="3",
        width="100%",
    )


@rx.page(
    route="/m/home",
    title="会员中心 · Member",
    on_load=[MemberSessionState.require_member, MemberHomeState.open_home],
)
def member_home_page() -> rx.Component:
    S = MemberHomeState
    return phone_frame(
        brand(),
        member_card(),
        balances(),
        rx.tabs.root(
            rx.tabs.list(
                rx.tabs.trigger(mtr("portal.points"), value="points"),
                rx.tabs.trigger(mtr("portal.wallet"), value="wallet"),
                rx.tabs.trigger(mtr("portal.coupons"), value="coupons", id="m-tab-coupons"),
                rx.tabs.trigger(mtr("portal.purchases"), value="sales", id="m-tab-sales"),
            ),
            rx.tabs.content(
                _list(S.points_rows, "what", "delta", "at", "m-no-points"),
                value="points",
                padding_top="8px",
                id="m-points-ledger",
            ),
            rx.tabs.content(
                _list(S.wallet_rows, "what", "delta", "at", "m-no-wallet"),
                value="wallet",
                padding_top="8px",
            ),
            rx.tabs.content(
                _list(S.coupon_rows, "name", "status", "valid", "m-no-coupons"),
                value="coupons",
                padding_top="8px",
            ),
            rx.tabs.content(
                _list(S.sale_rows, "what", "paid", "at", "m-no-sales"),
                value="sales",
                padding_top="8px",
            ),
            default_value="points",
            width="100%",
        ),
        bottom_nav("home"),
    )


# ---- rewards ------------------------------------------------------------------------------------


class MemberRewardsState(MemberSessionState):
    items: list[dict[str, str]] = []
    points_balance: str = "0"
    # The confirmation a redemption waits for. Its request id is made when it opens, so a
    # double tap on "confirm" redeems once (the service returns the first redemption).
    confirm_open: bool = False
    confirm_text: str = ""
    _redeem_item: int = 0
    _redeem_request: str = ""

    def _load(self) -> Any:
        from backoffice.services.loyalty import points

        try:
            with session_scope() as session:
                me = self._me(session)
                items = member_self.redemption_catalog(session, me)
                balance = points.balance_of(session, me.member_id)
        except (MemberSignedOut, DomainError) as exc:
            return self._fail(exc)
        self.points_balance = f"{balance:,}"
        self.items = [
            {
                "id": str(i.id),
                "name": i.name,
                "description": i.description,
                "price": f"{i.points_price:,}",
                "stock": self._tr("portal.stock", stock=i.stock),
                "affordable": "1" if i.points_price <= balance and i.stock > 0 else "",
            }
            for i in items
        ]
        return None

    @rx.event
    def open_rewards(self) -> Any:
        return self._load()

    @rx.event
    def ask_redeem(self, item_id: int) -> None:
        item = next((i for i in self.items if i["id"] == str(item_id)), None)
        if item is None:
            return
        self._redeem_item = int(item_id)
        self._redeem_request = f"m-{uuid.uuid4().hex}"
        self.confirm_text = self._tr(
            "portal.redeem_confirm", item=item["name"], points=item["price"]
        )
        self.confirm_open = True

    @rx.event
    def redeem_dialog_changed(self, is_open: bool) -> None:
        if not is_open:  # Esc or a tap outside: the same as cancel
            self.cancel_redeem()

    @rx.event
    def cancel_redeem(self) -> None:
        self._redeem_item, self._redeem_request = 0, ""
        self.confirm_open = False

    @rx.event
    def confirm_redeem(self) -> Any:
        item_id, request_id = self._redeem_item, self._redeem_request
        self.confirm_open = False
        if not item_id or not request_id:  # a second tap: the first one redeemed
            return None
        try:
            self._run(member_self.redeem, item_id, request_id)
        except (MemberSignedOut, DomainError) as exc:
            self._redeem_item, self._redeem_request = 0, ""
            self._load()
            return self._fail(exc)
        self._redeem_item, self._redeem_request = 0, ""
        name = next((i["name"] for i in self.items if i["id"] == str(item_id)), "")
        self._load()
        return rx.toast.success(self._tr("portal.redeemed", item=name))


@rx.page(
    route="/m/rewards",
    title="积分兑换 · Member",
    on_load=[MemberSessionState.require_member, MemberRewardsState.open_rewards],
)
def member_rewards_page() -> rx.Component:
    S = MemberRewardsState
    return phone_frame(
        brand(),
        rx.card(
            rx.hstack(
                rx.text(mtr("portal.points"), size="2", color_scheme="gray"),
                rx.spacer(),
                rx.heading(S.points_balance, size="6", id="m-rewards-points"),
                align="center",
                width="100%",
            )
        ),
        rx.text(mtr("portal.rewards_help"), size="2", color_scheme="gray"),
        rx.foreach(
            S.items,
            lambda i: rx.card(
                rx.hstack(
                    rx.vstack(
                        rx.text(i["name"], weight="medium"),
                        rx.text(i["description"], size="1", color_scheme="gray"),
                        rx.hstack(
                            rx.badge(i["price"] + " ", mtr("portal.points")),
                            rx.text(i["stock"], size="1", color_scheme="gray"),
                            spacing="2",
                        ),
                        spacing="1",
                    ),
                    rx.spacer(),
                    rx.button(
                        mtr("portal.redeem"),
                        on_click=S.ask_redeem(i["id"].to(int)),
                        disabled=i["affordable"] == "",
                        class_name="m-redeem",
                        id="m-redeem-" + i["id"],
                    ),
                    align="center",
                    width="100%",
                ),
                class_name="m-reward",
            ),
        ),
        confirm_dialog(
            mtr("portal.redeem"),
            description=S.confirm_text,
            description_id="m-redeem-question",
            confirm_label=mtr("portal.redeem_yes"),
            cancel_label=mtr("common.cancel"),
            on_confirm=S.confirm_redeem,
            on_cancel=S.cancel_redeem,
            open=S.confirm_open,
            on_open_change=S.redeem_dialog_changed,
            confirm_id="m-confirm-redeem",
            cancel_id="m-cancel-redeem",
            max_width="340px",
        ),
        bottom_nav("rewards"),
    )


# ---- me -------------------------------------------------------------------------------------------


class MemberMeState(MemberSessionState):
    fields: list[dict[str, Any]] = []
    errors: dict[str, str] = {}
    consents: dict[str, bool] = {}
    deletion_pending: str = ""
    form_version: int = 0

    def _load(self) -> Any:
        try:
            with session_scope() as session:
                me = self._me(session)
                defs = member_self.editable_fields(session)
                values = member_self.profile_values(session, me)
                consents = member_self.marketing_consents(session, me)
                pending = member_self.pending_deletion(session, me)
        except (MemberSignedOut, DomainError) as exc:
            return self._fail(exc)
        self.fields = [
            custom_field_row(
                f.key, f.label, f.type.value, f.options, f.help_text, values.get(f.key)
            )
            for f in defs
        ]
        self.consents = consents
        self.deletion_pending = (
            self._tr("portal.delete_pending", when=format_when(pending.requested_at, self.lang))
            if pending
            else ""
        )
        self.form_version += 1
        return None

    @rx.event
    def open_me(self) -> Any:
        self.errors = {}
        return self._load()

    @rx.event
    def save_profile(self, form: dict[str, Any]) -> Any:
        values: dict[str, Any] = {}
        # Only the fields the server listed as editable are read from the form; the service
        # checks the list again, so a forged field name is refused there too.
        with session_scope() as session:
            defs = member_self.editable_fields(session)
        for f in defs:
            value = read_custom_value(form, f.key, f.type.value, list(f.options))
            values[f.key] = value[:500] if isinstance(value, str) else value
        self.errors = {}
        try:
            self._run(member_self.update_profile, values)
        except ValidationFailed as exc:
            self.errors = self._field_errors(exc)
            return None
        except (MemberSignedOut, DomainError) as exc:
            return self._fail(exc)
        self._load()
        return rx.toast.success(self._tr("portal.saved"))

    @rx.event
    def set_consent(self, channel: str, granted: bool) -> Any:
        try:
            self._run(member_self.set_marketing_consent, str(channel), granted is True)
        except (MemberSignedOut, DomainError) as exc:
            return self._fail(exc)
        return self._load()

    @rx.event
    def request_deletion(self, form: dict[str, Any]) -> Any:
        try:
            self._run(member_self.request_deletion, str(form.get("reason", ""))[:300])
        except (MemberSignedOut, DomainError) as exc:
            return self._fail(exc)
        self._load()
        return rx.toast.success(self._tr("portal.delete_sent"))


def _consent_row(channel: str) -> rx.Component:
    S = MemberMeState
    return rx.hstack(
        rx.text(mtr(f"portal.channel.{channel}"), size="2"),
        rx.spacer(),
        rx.switch(
            checked=S.consents.get(channel, True).to(bool),
            on_change=lambda v: S.set_consent(channel, v),
            id=f"m-consent-{channel}",
        ),
        width="100%",
        align="center",
    )


def _profile_card() -> rx.Component:
    S = MemberMeState
    return rx.card(
        rx.form(
            rx.vstack(
                rx.heading(mtr("portal.profile"), size="4"),
                rx.cond(
                    S.fields.length() > 0,
                    rx.vstack(
                        rx.foreach(
                            S.fields,
                            lambda f: custom_field(
                                f,
                                S.errors,
                                id_prefix="m-f-",
                                choose_label=mtr("portal.choose"),
                                size="3",
                            ),
                        ),
                        rx.button(mtr("portal.save"), type="submit", id="m-save-profile"),
                        spacing="3",
                        align="stretch",
                    ),
                    rx.text(mtr("portal.profile_none"), size="2", color_scheme="gray"),
                ),
                spacing="3",
                align="stretch",
            ),
            on_submit=S.save_profile,
            reset_on_submit=False,
            key=S.form_version,
        ),
    )


def _marketing_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(mtr("portal.marketing"), size="4"),
            _consent_row("sms"),
            _consent_row("email"),
            rx.text(mtr("portal.marketing_help"), size="1", color_scheme="gray"),
            spacing="2",
        )
    )


def _delete_card() -> rx.Component:
    S = MemberMeState
    return rx.card(
        rx.vstack(
            rx.heading(mtr("portal.delete_account"), size="4"),
            rx.text(mtr("portal.delete_help"), size="1", color_scheme="gray"),
            rx.cond(
                S.deletion_pending != "",
                rx.callout(S.deletion_pending, icon="clock", id="m-deletion-pending"),
                rx.form(
                    rx.vstack(
                        rx.input(
                            name="reason",
                            placeholder=mtr("portal.delete_reason"),
                            max_length=300,
                        ),
                        rx.button(
                            mtr("portal.delete_submit"),
                            type="submit",
                            color_scheme="red",
                            variant="soft",
                            id="m-delete",
                        ),
                        spacing="2",
                        align="stretch",
                    ),
                    on_submit=S.request_deletion,
                ),
            ),
            spacing="2",
            align="stretch",
        )
    )


@rx.page(
    route="/m/me",
    title="我的 · Member",
    on_load=[MemberSessionState.require_member, MemberMeState.open_me],
)
def member_me_page() -> rx.Component:
    return phone_frame(
        brand(),
        _profile_card(),
        _marketing_card(),
        _delete_card(),
        rx.button(
            mtr("portal.sign_out"),
            on_click=MemberSessionState.sign_out,
            variant="outline",
            id="m-sign-out",
        ),
        bottom_nav("me"),
    )
