"""The staff shell: sidebar navigation (by permission, for display), top bar, content."""

from __future__ import annotations

from typing import Any

import reflex as rx

from backoffice.components.fields import hydration_marker
from backoffice.pages.session import SessionState, tr

# (route, catalog key, icon, permission that makes the link useful)
NAV = [
    ("/members", "nav.members", "users", "members.read"),
    ("/checkout", "nav.checkout", "shopping-cart", "sales.create"),
    ("/members/import", "nav.import", "upload", "members.import"),
    ("/settings/form", "nav.form", "list-checks", "forms.manage"),
    ("/settings/loyalty", "nav.loyalty", "gift", "loyalty.read"),
    ("/stores", "nav.stores", "store", "stores.read"),
    ("/staff", "nav.staff", "id-card", "staff.read"),
    ("/roles", "nav.roles", "key-round", "staff.manage"),
    ("/audit", "nav.audit", "shield-check", "audit.read"),
    ("/account", "nav.account", "user-cog", ""),
]


def _nav_link(route: str, key: str, icon: str, permission: str) -> rx.Component:
    link = rx.link(
        rx.hstack(rx.icon(icon, size=16), rx.text(tr(key), size="2"), spacing="2", align="center"),
        href=route,
        underline="none",
        color_scheme="gray",
        high_contrast=True,
        padding="6px 10px",
        border_radius="6px",
        width="100%",
        _hover={"background": "var(--gray-a3)"},
    )
    if not permission:
        return link
    return rx.cond(SessionState.perms.contains(permission), link)


def language_switch() -> rx.Component:
    return rx.select.root(
        rx.select.trigger(),
        rx.select.content(
            rx.select.item("中文", value="zh-CN"), rx.select.item("English", value="en")
        ),
        value=SessionState.lang,
        on_change=SessionState.set_language,
        size="1",
    )


def sidebar() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.icon("gem", size=20, color="var(--accent-9)"),
            rx.heading(tr("app.name"), size="3"),
            align="center",
            spacing="2",
            padding_bottom="12px",
        ),
        *[_nav_link(*item) for item in NAV],
        rx.spacer(),
        rx.vstack(
            rx.text(SessionState.me_name, size="2", weight="medium", id="me-name"),
            rx.badge(SessionState.role_label, variant="soft", id="me-role"),
            language_switch(),
            rx.button(
                rx.icon("log-out", size=14),
                tr("nav.sign_out"),
                variant="ghost",
                size="1",
                on_click=SessionState.sign_out,
                id="sign-out",
            ),
            spacing="2",
            align="start",
        ),
        width="220px",
        min_width="220px",
        height="100vh",
        padding="16px",
        border_right="1px solid var(--gray-a5)",
        background="var(--gray-a2)",
        position="sticky",
        top="0",
        align="stretch",
    )


def shell(title: Any, *children: rx.Component, actions: rx.Component | None = None) -> rx.Component:
    """A signed-in page: sidebar, a title row with actions, then the content."""
    return rx.hstack(
        hydration_marker(),
        sidebar(),
        rx.vstack(
            rx.hstack(
                rx.heading(title, size="6"),
                rx.spacer(),
                actions or rx.fragment(),
                width="100%",
                align="center",
            ),
            *children,
            padding="24px",
            width="100%",
            max_width="1280px",
            spacing="4",
            align="stretch",
        ),
        spacing="0",
        align="start",
        width="100%",
    )
