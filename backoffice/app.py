"""The Reflex app: every page module registers its routes with @rx.page on import."""

from __future__ import annotations

import reflex as rx

import backoffice.models  # noqa: F401  (tables registered before any query)
from backoffice.api import create_app
from backoffice.pages import (  # noqa: F401
    account,
    api_keys,
    audit,
    checkout,
    deletion_requests,
    form_designer,
    login,
    loyalty_settings,
    member_form,
    member_home,
    member_import,
    member_page,
    member_portal,
    members,
    report_analysis,
    reports,
    roles,
    staff,
    stores,
    webhooks,
    workflow_builder_ui,
    workflows,
)


def index() -> rx.Component:
    """/ sends a signed-in person to the members, anyone else to sign-in."""
    return rx.center(rx.spinner(size="3"), min_height="100vh")


# /api/v1 (REST API and its docs) is served by the same backend as the pages.
app = rx.App(api_transformer=create_app())
app.add_page(index, route="/", on_load=login.LoginState.open_login_or_home)
