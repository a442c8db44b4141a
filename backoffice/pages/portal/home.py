"""/m/home, the signed-in member's first page: card, tier, balances, history; and the bottom
navigation every member page shares (/m/rewards in `rewards`, /m/me in `me`)."""

from __future__ import annotations

from typing import Any

import reflex as rx

from backoffice.components.tier_text import metric_text
from backoffice.db import session_scope
from backoffice.errors import DomainError
from backoffice.i18n import format_day, format_money, format_when
from backoffice.pages.portal.sign_in import (
    MemberSessionState,
    MemberSignedOut,
    brand,
    mtr,
    phone_frame,
)
from backoffice.services.loyalty.visit_card_ledger import member_own_cards
from backoffice.services.portal import self_service as member_self


class MemberHomeState(MemberSessionState):
    member_no: str = ""
    store_name: str = ""
    qr: str = ""
    counter_code: str = ""  # read out at another store's till; changes every 5 minutes
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
    card_rows: list[dict[str, str]] = []

    def _money(self, cents: int) -> str:
        return format_money(cents, self.lang)

    def _show_history(self, view: member_self.MemberOverview) -> None:
        """The four tabs' rows: points, stored value, coupons, purchases."""
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

    def _show_cards(self, cards: list[Any]) -> None:
        """次卡: visits left and the last valid day of each card."""
        self.card_rows = [
            {
                "name": c.name,
                "left": self._tr("card.unlimited")
                if c.visits_total is None
                else self._tr("card.left_of", left=c.visits_left, total=c.visits_total),
                "until": self._tr("portal.valid_to", when=format_day(c.expires_at, self.lang))
                if str(c.status) == "active"
                else self._tr(f"card.status.{c.status}"),
            }
            for c in cards
        ]

    @rx.event
    def open_home(self) -> Any:
        try:
            with session_scope() as session:
                me = self._me(session)
                card = member_self.member_card(session, me)
                view = member_self.overview(session, me)
                self._show_cards(member_own_cards(session, me.member_id))
        except (MemberSignedOut, DomainError) as exc:
            return self._fail(exc)
        self.me_name, self.member_no, self.store_name, self.qr = (
            card.name,
            card.member_no,
            card.store_name,
            card.qr,
        )
        self.counter_code = f"{card.counter_code[:3]} {card.counter_code[3:]}"
        p = view.progress
        self.tier_name = p.tier.name if p.tier else self._tr("loyalty.no_tier")
        if p.next_tier is None:
            self.next_line, self.progress = self._tr("loyalty.top_tier"), 100
        else:
            left = metric_text(p.next_tier.metric.value, max(0, p.needed - p.value), self.lang)
            self.next_line = self._tr("loyalty.next_tier", tier=p.next_tier.name, left=left)
            self.progress = p.percent
        self.points_balance = f"{view.points_balance:,}"
        self.wallet_total = self._money(view.wallet_principal + view.wallet_bonus)
        self.wallet_split = self._tr(
            "loyalty.wallet_split",
            principal=self._money(view.wallet_principal),
            bonus=self._money(view.wallet_bonus),
        )
        self._show_history(view)
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

    # Fixed to the screen, not to the page: a long history must not scroll it away on a
    # phone. The spacer keeps the last rows clear of it; the safe-area inset keeps it above
    # an iPhone's home bar.
    return rx.fragment(
        rx.box(height="72px", flex_shrink="0"),
        rx.hstack(
            tab("home", "house", "/m/home"),
            tab("rewards", "gift", "/m/rewards"),
            tab("me", "user", "/m/me"),
            position="fixed",
            bottom="0",
            left="0",
            right="0",
            z_index="10",
            max_width="480px",
            margin="0 auto",
            background="var(--color-panel-solid)",
            border_top="1px solid var(--gray-5)",
            padding="8px 0 calc(8px + env(safe-area-inset-bottom))",
            justify="between",
            id="m-bottom-nav",
        ),
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
                rx.hstack(
                    rx.text(mtr("portal.counter_code"), size="1", color_scheme="gray"),
                    rx.code(S.counter_code, size="2", id="m-counter-code"),
                    rx.icon_button(
                        rx.icon("refresh-cw", size=12),
                        size="1",
                        variant="ghost",
                        on_click=S.open_home,
                        id="m-code-refresh",
                        aria_label="refresh",
                    ),
                    spacing="1",
                    align="center",
                ),
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
    title="首页 · 会员中心",
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
                rx.tabs.trigger(mtr("card.title"), value="cards", id="m-tab-cards"),
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
            rx.tabs.content(
                _list(S.card_rows, "name", "left", "until", "m-no-cards"),
                value="cards",
                padding_top="8px",
            ),
            default_value="points",
            width="100%",
        ),
        bottom_nav("home"),
    )
