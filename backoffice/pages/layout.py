"""The staff shell: sidebar navigation (by permission, for display), top bar, content."""

from __future__ import annotations

from typing import Any

import reflex as rx

from backoffice.components.fields import hydration_marker
from backoffice.pages.session import SessionState, tr

# Sections of (route, catalog key, icon, permission that makes the link useful).
NAV: list[tuple[str, list[tuple[str, str, str, str]]]] = [
    (
        "nav.section.daily",
        [
            ("/reports", "nav.reports", "chart-line", "reports.read"),
            ("/members", "nav.members", "users", "members.read"),
            ("/checkout", "nav.checkout", "shopping-cart", "sales.create"),
        ],
    ),
    (
        "nav.section.marketing",
        [
            ("/workflows", "nav.workflows", "workflow", "workflows.read"),
            ("/settings/loyalty", "nav.loyalty", "gift", "loyalty.read"),
            ("/settings/cards", "nav.cards", "ticket", "loyalty.read"),
        ],
    ),
    (
        "nav.section.insight",
        [
            ("/reports/rfm", "nav.rfm", "chart-pie", "reports.read"),
            ("/reports/churn", "nav.churn", "user-x", "reports.read"),
            ("/reports/stores", "nav.report_stores", "chart-bar", "reports.read"),
            ("/reports/staff", "nav.report_staff", "trophy", "reports.read"),
        ],
    ),
    (
        "nav.section.members",
        [
            ("/members/import", "nav.import", "upload", "members.import"),
            ("/members/deletion-requests", "nav.deletion_requests", "user-minus", "members.status"),
            ("/settings/form", "nav.form", "list-checks", "forms.manage"),
        ],
    ),
    (
        "nav.section.admin",
        [
            ("/stores", "nav.stores", "store", "stores.read"),
            ("/staff", "nav.staff", "id-card", "staff.read"),
            ("/roles", "nav.roles", "key-round", "staff.manage"),
            ("/audit", "nav.audit", "shield-check", "audit.read"),
            ("/settings/api-keys", "nav.api_keys", "key", "api_keys.manage"),
            ("/settings/webhooks", "nav.webhooks", "webhook", "webhooks.manage"),
            ("/operations", "nav.operations", "activity", "operations.manage"),
            ("/account", "nav.account", "user-cog", ""),
        ],
    ),
]


def _nav_section(key: str, items: list[tuple[str, str, str, str]]) -> rx.Component:
    """A heading over its links; shown only when the person may use one of them."""
    perms = [p for *_, p in items]
    heading = rx.text(
        tr(key), size="1", weight="bold", color_scheme="gray", padding="10px 10px 2px"
    )
    if "" in perms:
        shown: Any = True
    else:
        shown = SessionState.perms.contains(perms[0])
        for p in perms[1:]:
            shown = shown | SessionState.perms.contains(p)
    return rx.fragment(rx.cond(shown, heading), *[_nav_link(*item) for item in items])


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
        rx.select.trigger(id="language-switch"),
        rx.select.content(
            rx.select.item("中文", value="zh-CN"), rx.select.item("English", value="en")
        ),
        value=SessionState.lang,
        on_change=SessionState.set_language,
        size="1",
    )


def _me_footer() -> rx.Component:
    """Who is signed in, the language and sign-out: pinned under the links, never scrolled away."""
    return rx.vstack(
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
        padding_top="10px",
        border_top="1px solid var(--gray-a5)",
        flex_shrink="0",
        id="sidebar-footer",
    )


def sidebar() -> rx.Component:
    # Only the links scroll (a manager sees ~25 of them at 1440×900); the footer stays.
    return rx.vstack(
        rx.hstack(
            rx.icon("gem", size=20, color="var(--accent-9)"),
            rx.heading(tr("app.name"), size="3"),
            align="center",
            spacing="2",
            padding_bottom="12px",
            flex_shrink="0",
        ),
        rx.vstack(
            *[_nav_section(key, items) for key, items in NAV],
            spacing="1",
            align="stretch",
            flex="1",
            min_height="0",
            overflow_y="auto",
            width="100%",
            id="sidebar-links",
        ),
        _me_footer(),
        width="220px",
        min_width="220px",
        height="100vh",
        overflow="hidden",
        spacing="1",
        padding="16px",
        border_right="1px solid var(--gray-a5)",
        background="var(--gray-a2)",
        position="sticky",
        top="0",
        align="stretch",
    )


def alert_banner() -> rx.Component:
    """Open operations alerts, for those who may see them (the service decides who)."""
    return rx.cond(
        SessionState.alerts.length() > 0,
        rx.callout.root(
            rx.callout.icon(rx.icon("triangle-alert")),
            rx.vstack(
                rx.link(tr("alert.banner"), href="/operations", weight="bold"),
                rx.foreach(SessionState.alerts, lambda a: rx.text(a, size="2")),
                spacing="1",
            ),
            color_scheme="red",
            id="alert-banner",
        ),
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
            alert_banner(),
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
