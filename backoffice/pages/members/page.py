"""/member?id=…: profile, loyalty (tier, balances, ledgers, counter actions), visit cards
and timeline."""

from __future__ import annotations

import reflex as rx

from backoffice.pages.layout import shell
from backoffice.pages.members.detail import (
    MemberDetailState,
    member_actions,
    profile_card,
    status_dialog,
    timeline_card,
)
from backoffice.pages.members.loyalty_panel import loyalty_panel
from backoffice.pages.members.loyalty_state import LoyaltyState
from backoffice.pages.members.visit_cards_panel import VisitCardsState, visit_cards_panel
from backoffice.pages.session import SessionState, tr


@rx.page(
    route="/member",
    title="Member · Back-office",
    on_load=[
        SessionState.require_sign_in,
        MemberDetailState.open_page,
        LoyaltyState.open_loyalty,
        VisitCardsState.open_cards,
    ],
)
def member_page() -> rx.Component:
    return shell(
        rx.hstack(
            rx.link(rx.icon("arrow-left"), href="/members"), tr("member.profile"), align="center"
        ),
        rx.cond(
            MemberDetailState.found,
            rx.vstack(
                profile_card(),
                loyalty_panel(),
                visit_cards_panel(),
                timeline_card(),
                spacing="4",
                align="stretch",
            ),
        ),
        status_dialog(),
        actions=member_actions(),
    )
