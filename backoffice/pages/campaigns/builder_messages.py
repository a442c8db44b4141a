"""The builder's message template dialog, for "send message" nodes: templates are written
where they are used, and the selected node then points at the one saved.

A mixin of BuilderState (builder.py)."""

from __future__ import annotations

from typing import Any

import reflex as rx

from backoffice.db import session_scope
from backoffice.errors import DomainError, ValidationFailed
from backoffice.pages.session import SessionState, SignedOut
from backoffice.workflows.campaigns import builder as wb


class MessageMixin(SessionState, mixin=True):
    msg_open: bool = False
    msg_seq: int = 0  # a new key per opening, so the form shows the template just loaded
    msg_title: str = ""
    msg_name: str = ""
    msg_channel: str = "outbox"
    msg_subject: str = ""
    msg_body: str = ""
    msg_marketing: bool = True
    msg_error_name: str = ""
    msg_error_body: str = ""
    msg_variables: str = ""
    _msg_id: int = 0

    @rx.event
    def open_message(self, new: bool) -> Any:
        from backoffice.services.messaging.messages import VARIABLES, list_templates

        self.msg_error_name = self.msg_error_body = ""
        self.msg_variables = "  ".join("{{" + v + "}}" for v in VARIABLES)
        self._msg_id = 0
        self.msg_name, self.msg_channel, self.msg_subject, self.msg_body = "", "outbox", "", ""
        self.msg_marketing = True
        current = self.values.get("template_id", "")
        if not new and current.isdigit():
            try:
                with session_scope() as session:
                    found = next(
                        (
                            m
                            for m in list_templates(session, self._actor(session))
                            if m.id == int(current)
                        ),
                        None,
                    )
            except (SignedOut, DomainError) as exc:
                return self._fail(exc)
            if found is not None:
                self._msg_id = found.id or 0
                self.msg_name, self.msg_channel = found.name, found.channel.value
                self.msg_subject, self.msg_body = found.subject, found.body
                self.msg_marketing = found.marketing
        self.msg_title = self._tr("builder.edit_message" if self._msg_id else "builder.new_message")
        self.msg_seq += 1
        self.msg_open = True
        return None

    @rx.event
    def set_msg_open(self, value: bool) -> None:
        self.msg_open = bool(value)

    @rx.event
    def set_msg_channel(self, value: str | list[str]) -> None:
        # the channel buttons send one value (a segmented control may send a list)
        choice = value[0] if isinstance(value, list) and value else value
        self.msg_channel = choice if choice in ("outbox", "sms", "email") else "outbox"

    @rx.event
    def set_msg_marketing(self, value: bool) -> None:
        self.msg_marketing = bool(value)

    @rx.event
    def save_message(self, form: dict[str, Any]) -> Any:
        """Create or change the template, then point the selected node at it."""
        from backoffice.services.messaging.messages import (
            TemplateInput,
            create_template,
            update_template,
        )

        data = TemplateInput(
            name=str(form.get("name", ""))[:100],
            channel=self.msg_channel,
            subject=str(form.get("subject", ""))[:200],
            body=str(form.get("body", ""))[:2000],
            marketing=self.msg_marketing,
        )
        try:
            with session_scope() as session:
                actor = self._actor(session)
                if self._msg_id:
                    template = update_template(session, actor, self._msg_id, data)
                else:
                    template = create_template(session, actor, data)
                new_id = template.id
                self._options = wb.reference_options(session, actor, self.lang)
        except ValidationFailed as exc:
            errors = self._field_errors(exc)
            self.msg_error_name = errors.get("name", "")
            self.msg_error_body = errors.get("body", "") or errors.get("channel", "")
            return None
        except (SignedOut, DomainError) as exc:
            return self._fail(exc)
        self.msg_open = False
        self.fields = [
            {**f, "options": self._options.get("message_templates", [])}
            if f["name"] == "template_id"
            else f
            for f in self.fields
        ]
        self._set_value("template_id", str(new_id))
        return type(self).apply_config
