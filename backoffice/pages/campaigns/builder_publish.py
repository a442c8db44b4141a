"""The builder's publish, pause and resume: publishing says first how many members the
trigger matches today.

A mixin of BuilderState (builder.py); after a change it reloads the page (`_load`)."""

from __future__ import annotations

from typing import Any

import reflex as rx

from backoffice.db import session_scope
from backoffice.errors import DomainError, ValidationFailed
from backoffice.pages.session import SessionState, SignedOut
from backoffice.workflows.campaigns.lifecycle import (
    publish_workflow,
    set_workflow_status,
    trigger_match_count,
)


class PublishMixin(SessionState, mixin=True):
    publish_open: bool = False
    publish_count: str = ""

    @rx.event
    def open_publish(self) -> Any:
        try:
            with session_scope() as session:
                count = trigger_match_count(session, self._actor(session), self._workflow_id)
        except (SignedOut, DomainError) as exc:
            return self._fail(exc)
        self.publish_count = (
            self._tr("builder.publish_count", count=count)
            if count is not None
            else self._tr("builder.publish_event")
        )
        self.publish_open = True
        return None

    @rx.event
    def set_publish_open(self, value: bool) -> None:
        self.publish_open = bool(value)

    @rx.event
    def publish(self) -> Any:
        try:
            version = self._call(publish_workflow, self._workflow_id)
        except ValidationFailed as exc:
            self.publish_open = False
            self._load()
            return rx.toast.error(self._error(exc))
        except (SignedOut, DomainError) as exc:
            return self._fail(exc)
        self.publish_open = False
        self._load()
        return rx.toast.success(self._tr("builder.published", version=version.version))

    @rx.event
    def set_status(self, status: str) -> Any:
        if status not in ("paused", "published"):
            return None
        try:
            self._call(set_workflow_status, self._workflow_id, status)
        except (SignedOut, DomainError) as exc:
            return self._fail(exc)
        self._load()
        return rx.toast.success(self._tr(f"wfstatus.{status}"))
