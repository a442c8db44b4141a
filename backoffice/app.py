"""The Reflex app: every page module registers its routes with @rx.page on import."""

from __future__ import annotations

import reflex as rx

import backoffice.models  # noqa: F401  (tables registered before any query)
import backoffice.workflows  # noqa: F401  (committed events wake the dispatcher at once)
from backoffice.api import create_app
from backoffice.logs import configure_logging
from backoffice.pages.campaigns import builder_ui as workflow_builder_ui  # noqa: F401
from backoffice.pages.campaigns import campaign_list as workflows  # noqa: F401
from backoffice.pages.loyalty import (
    card_products,  # noqa: F401
    checkout,  # noqa: F401
    receipt,  # noqa: F401
)
from backoffice.pages.loyalty import policy as loyalty_settings  # noqa: F401
from backoffice.pages.members import (
    deletion_requests,  # noqa: F401
    form_designer,  # noqa: F401
)
from backoffice.pages.members import form as member_form  # noqa: F401
from backoffice.pages.members import import_csv as member_import  # noqa: F401
from backoffice.pages.members import listing as members  # noqa: F401
from backoffice.pages.members import page as member_page  # noqa: F401
from backoffice.pages.org import (
    account,  # noqa: F401
    api_keys,  # noqa: F401
    audit,  # noqa: F401
    login,  # noqa: F401
    operations,  # noqa: F401
    roles,  # noqa: F401
    staff,  # noqa: F401
    stores,  # noqa: F401
    webhooks,  # noqa: F401
)
from backoffice.pages.portal import home as member_home  # noqa: F401
from backoffice.pages.portal import me as member_me  # noqa: F401
from backoffice.pages.portal import rewards as member_rewards  # noqa: F401
from backoffice.pages.portal import sign_in as member_portal  # noqa: F401
from backoffice.pages.reports import analysis as report_analysis  # noqa: F401
from backoffice.pages.reports import dashboard as reports  # noqa: F401


def index() -> rx.Component:
    """/ sends a signed-in person to the members, anyone else to sign-in."""
    return rx.center(rx.spinner(size="3"), min_height="100vh")


configure_logging("app")
# /api/v1 (REST API and its docs) is served by the same backend as the pages.
# The favicon (assets/favicon.*: a member card on the brand's teal); the .ico stays for
# browsers that ask for /favicon.ico, the touch icon for phones that pin the member portal.
FAVICON = [
    rx.el.link(rel="icon", href="/favicon.svg", type="image/svg+xml"),
    rx.el.link(rel="icon", href="/favicon.ico", sizes="48x48"),
    rx.el.link(rel="apple-touch-icon", href="/apple-touch-icon.png"),
]
app = rx.App(api_transformer=create_app(), head_components=FAVICON)
app.add_page(index, route="/", on_load=login.LoginState.open_login_or_home)
