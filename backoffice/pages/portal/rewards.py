"""/m/rewards: points redeemed for catalog items, after a confirmation (one redemption per tap)."""

from __future__ import annotations

import uuid
from typing import Any

import reflex as rx

from backoffice.components.dialogs import confirm_dialog
from backoffice.db import session_scope
from backoffice.errors import DomainError
from backoffice.pages.portal.home import bottom_nav
from backoffice.pages.portal.sign_in import (
    MemberSessionState,
    MemberSignedOut,
    brand,
    mtr,
    phone_frame,
)
from backoffice.services.portal import self_service as member_self


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
    title="积分兑换 · 会员中心",
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
