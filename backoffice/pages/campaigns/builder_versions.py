"""The builder's published versions: a list, one opened read-only on the canvas, and a
restore that makes it the new draft (the service audits it).

A mixin of BuilderState (builder.py): drawing goes through the canvas mixin's `_draw`
(the draft) or, while a version is open, `_show_version`."""

from __future__ import annotations

from typing import Any

import reflex as rx

from backoffice.db import session_scope
from backoffice.errors import DomainError
from backoffice.i18n import format_when
from backoffice.pages.session import SessionState, SignedOut
from backoffice.workflows.campaigns import builder as wb
from backoffice.workflows.campaigns.lifecycle import list_versions, restore_version, version_graph


class VersionsMixin(SessionState, mixin=True):
    versions_open: bool = False
    versions: list[dict[str, str]] = []
    viewing: str = ""  # the version number open read-only on the canvas, "" for the draft
    viewing_label: str = ""

    @rx.event
    def set_versions_open(self, value: bool) -> Any:
        self.versions_open = bool(value)
        if not value:
            return None
        try:
            with session_scope() as session:
                rows = list_versions(session, self._actor(session), self._workflow_id)
        except (SignedOut, DomainError) as exc:
            return self._fail(exc)
        self.versions = [
            {
                "version": str(r.version),
                "label": f"v{r.version}",
                "when": format_when(r.created_at, self.lang),
                "by": r.created_by,
                "live": "1" if r.live else "",
            }
            for r in rows
        ]
        return None

    @rx.event
    def view_version(self, version: str) -> Any:
        """Draw a published version on the canvas, read-only, until the draft is reopened."""
        if not str(version).isdigit():
            return None
        try:
            with session_scope() as session:
                graph = version_graph(
                    session, self._actor(session), self._workflow_id, int(version)
                )
                self._revision += 1
                self.canvas = wb.canvas_view(
                    graph, self.lang, wb.load_names(session), revision=self._revision
                )
        except (SignedOut, DomainError) as exc:
            return self._fail(exc)
        self.viewing, self.versions_open, self.selected = str(version), False, ""
        self.viewing_label = self._tr("builder.viewing", version=version)
        self._panel()
        return None

    @rx.event
    def back_to_draft(self) -> Any:
        self.viewing = ""
        return type(self).redraw  # the canvas mixin's: the draft again

    @rx.event
    def restore_viewed(self) -> Any:
        if not self.viewing.isdigit():
            return None
        number = int(self.viewing)
        try:
            self._call(restore_version, self._workflow_id, number)
        except (SignedOut, DomainError) as exc:
            return self._fail(exc)
        self.viewing, self._undo, self._redo = "", [], []
        self._load()
        return rx.toast.success(self._tr("builder.version_restored", version=number))
