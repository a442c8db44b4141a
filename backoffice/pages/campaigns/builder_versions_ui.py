"""The builder's versions dialog and the banner shown while a published version is open
read-only on the canvas (state: builder_versions.py)."""

from __future__ import annotations

import reflex as rx

from backoffice.components.dialogs import dialog_shell
from backoffice.pages.campaigns.builder import BuilderState
from backoffice.pages.session import tr


def _version_row(row: rx.Var) -> rx.Component:
    return rx.hstack(
        rx.text(row["label"], weight="bold", size="2"),
        rx.cond(row["live"] != "", rx.badge(tr("builder.version_live"), color_scheme="green")),
        rx.text(row["when"], size="1", color_scheme="gray"),
        rx.text(row["by"], size="1", color_scheme="gray"),
        rx.spacer(),
        rx.button(
            rx.icon("eye", size=14),
            tr("builder.version_view"),
            size="1",
            variant="soft",
            on_click=BuilderState.view_version(row["version"]),
            class_name="version-view",
        ),
        width="100%",
        align="center",
        class_name="version-row",
        data_version=row["version"],
    )


def versions_dialog() -> rx.Component:
    return dialog_shell(
        tr("builder.versions"),
        rx.vstack(
            rx.foreach(BuilderState.versions, _version_row),
            rx.hstack(
                rx.spacer(),
                rx.dialog.close(rx.button(tr("common.close"), variant="soft", color_scheme="gray")),
                width="100%",
            ),
            spacing="2",
            width="100%",
        ),
        description=tr("builder.versions_help"),
        open=BuilderState.versions_open,
        on_open_change=BuilderState.set_versions_open,
    )


def version_banner() -> rx.Component:
    """While a version is open: what is shown, restore it, or go back to the draft."""
    return rx.cond(
        BuilderState.viewing != "",
        rx.callout.root(
            rx.callout.icon(rx.icon("history")),
            rx.hstack(
                rx.text(BuilderState.viewing_label, size="2", weight="medium"),
                rx.spacer(),
                rx.cond(
                    ~BuilderState.read_only,
                    rx.button(
                        rx.icon("rotate-ccw", size=14),
                        tr("builder.restore_version"),
                        size="1",
                        on_click=BuilderState.restore_viewed,
                        id="restore-version",
                    ),
                ),
                rx.button(
                    tr("builder.back_to_draft"),
                    size="1",
                    variant="soft",
                    on_click=BuilderState.back_to_draft,
                    id="back-to-draft",
                ),
                width="100%",
                align="center",
            ),
            color_scheme="blue",
            id="version-banner",
            width="100%",
        ),
    )
