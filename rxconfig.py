"""Reflex configuration. Our own settings live in backoffice/settings.py (environment)."""

import reflex as rx
from reflex_base.plugins.sitemap import SitemapPlugin

from backoffice.settings import get_settings

_settings = get_settings()

config = rx.Config(
    app_name="backoffice",
    app_module_import="backoffice.app",
    show_built_with_reflex=False,
    telemetry_enabled=False,
    frontend_port=_settings.app_port,
    backend_port=_settings.app_port,
    plugins=[
        rx.plugins.RadixThemesPlugin(
            theme=rx.theme(accent_color="teal", gray_color="slate", radius="medium")
        )
    ],
    disable_plugins=[SitemapPlugin],
)
