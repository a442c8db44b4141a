"""The Reflex app: every page module registers its routes with @rx.page on import."""

from __future__ import annotations

import reflex as rx

import backoffice.models  # noqa: F401  (tables registered before any query)
from backoffice.pages import (  # noqa: F401
    account,
    audit,
    checkout,
    form_designer,
    login,
    loyalty_settings,
    member_form,
    member_import,
    member_page,
    members,
    roles,
    staff,
    stores,
)


def index() -> rx.Component:
    """/ sends a signed-in person to the members, anyone else to sign-in."""
    return rx.center(rx.spinner(size="3"), min_height="100vh")


app = rx.App()
app.add_page(index, route="/", on_load=login.LoginState.open_login_or_home)
