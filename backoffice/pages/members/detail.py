"""Member detail: profile, custom fields, status changes with a reason, and the timeline."""

from __future__ import annotations

from typing import Any

import reflex as rx

from backoffice.components.dialogs import confirm_dialog
from backoffice.components.fields import field_error, status_badge
from backoffice.db import session_scope
from backoffice.errors import DomainError, ValidationFailed
from backoffice.i18n import format_day, format_when
from backoffice.pages.session import SessionState, SignedOut, tr
from backoffice.services.members import forms
from backoffice.services.members.search import get_member
from backoffice.services.members.status import change_member_status
from backoffice.services.members.timeline import member_timeline
from backoffice.services.org.audit_wording import describe_all

STATUS_ACTIONS = {
    "active": ["freeze", "cancel"],
    "frozen": ["unfreeze", "cancel"],
    "cancelled": ["restore"],
}


def _show(value: Any) -> str:
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    if value is None:
        return ""
    return str(value)


class MemberDetailState(SessionState):
    member_id: int = 0
    found: bool = False
    member: dict[str, str] = {}
    custom_rows: list[list[str]] = []
    timeline: list[dict[str, str]] = []
    status_actions: list[str] = []
    pending_action: str = ""
    reason_error: str = ""

    def _value_text(self, value: Any) -> str:
        if isinstance(value, bool):
            return self._tr("common.yes" if value else "common.no")
        return _show(value)

    def _reload(self) -> Any:
        try:
            with session_scope() as session:
                actor = self._actor(session)
                row = get_member(session, actor, self.member_id)
                items = member_timeline(session, actor, self.member_id)
                wording = describe_all(session, [i.changes for i in items], self.lang, "member")
                fields = forms.list_fields(session)
        except (SignedOut, DomainError) as exc:
            self.found = False
            return self._fail(exc)
        lang = self.lang
        self.found = True
        self.member = {
            "id": str(row.id),
            "member_no": row.member_no,
            "name": row.name,
            "phone": row.phone,
            "gender": self._tr(f"gender.{row.gender}"),
            "birthday": row.birthday,
            "email": row.email,
            "store": row.store_name,
            "status": row.status,
            "status_label": self._tr(f"status.{row.status}"),
            "status_reason": row.status_reason,
            "joined": format_day(row.joined_at, lang),
            "tags": "、".join(row.tags),
            "notes": row.notes,
        }
        self.custom_rows = [[f.label, self._value_text(row.custom.get(f.key))] for f in fields]
        self.status_actions = STATUS_ACTIONS.get(row.status, [])
        self.timeline = [
            {
                "at": format_when(i.at, lang),
                "action": self._tr(f"action.{i.action}")
                if f"action.{i.action}" in self.t
                else i.action,
                "who": i.actor_name,
                "changes": said,
            }
            for i, said in zip(items, wording, strict=True)
        ]
        return None

    @rx.event
    def open_page(self) -> Any:
        raw = self.router.url.query_parameters.get("id", "")
        self.member_id = int(raw) if raw.isdigit() else -1
        self.pending_action = ""
        return self._reload()

    @rx.event
    def ask_status(self, action: str) -> None:
        self.pending_action = (
            action if action in {"freeze", "unfreeze", "cancel", "restore"} else ""
        )
        self.reason_error = ""

    @rx.event
    def close_status(self) -> None:
        self.pending_action = ""

    @rx.event
    def confirm_status(self, form: dict[str, Any]) -> Any:
        reason = str(form.get("reason", ""))
        try:
            self._call(change_member_status, self.member_id, self.pending_action, reason)
        except ValidationFailed as exc:
            errors = self._field_errors(exc)
            self.reason_error = errors.get("reason") or next(iter(errors.values()))
            return None
        except (SignedOut, DomainError) as exc:
            self.pending_action = ""
            return self._fail(exc)
        self.pending_action = ""
        self._reload()
        return rx.toast.success(self._tr("member.status_changed"))


def _item(label_key: str, value: Any, id_: str = "") -> rx.Component:
    return rx.vstack(
        rx.text(tr(label_key), size="1", color_scheme="gray"),
        rx.text(rx.cond(value != "", value, "—"), size="2", id=id_ or None),
        spacing="0",
    )


def _status_button(action: rx.Var) -> rx.Component:
    return rx.button(
        MemberDetailState.t.get("member." + action, action),
        variant="soft",
        color_scheme=rx.cond(action == "cancel", "red", "gray"),
        on_click=MemberDetailState.ask_status(action),
        id="status-" + action,
    )


def status_dialog() -> rx.Component:
    return confirm_dialog(
        MemberDetailState.t.get("member." + MemberDetailState.pending_action, ""),
        rx.text_area(name="reason", placeholder=tr("common.reason"), id="status-reason"),
        field_error(MemberDetailState.reason_error),
        description=tr("member.status_dialog"),
        confirm_label=tr("common.confirm"),
        cancel_label=tr("common.cancel"),
        on_confirm=MemberDetailState.confirm_status,
        on_cancel=MemberDetailState.close_status,
        form=True,
        open=MemberDetailState.pending_action != "",
        confirm_id="status-confirm",
    )


def profile_card() -> rx.Component:
    m = MemberDetailState.member
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading(m["name"], size="5", id="member-name"),
                rx.text(m["member_no"], color_scheme="gray", id="member-no"),
                status_badge(m["status"], m["status_label"]),
                align="center",
                spacing="3",
            ),
            rx.cond(
                m["status_reason"] != "",
                rx.text(
                    tr("member.status_reason"),
                    ": ",
                    m["status_reason"],
                    size="2",
                    color_scheme="gray",
                ),
            ),
            rx.grid(
                _item("member.phone", m["phone"], "member-phone"),
                _item("member.gender", m["gender"]),
                _item("member.birthday", m["birthday"]),
                _item("member.email", m["email"]),
                _item("member.home_store", m["store"]),
                _item("member.joined", m["joined"]),
                _item("member.tags", m["tags"]),
                _item("member.notes", m["notes"]),
                columns="4",
                spacing="4",
                width="100%",
            ),
            rx.cond(
                MemberDetailState.custom_rows.length() > 0,
                rx.vstack(
                    rx.heading(tr("member.custom_fields"), size="3"),
                    rx.grid(
                        rx.foreach(
                            MemberDetailState.custom_rows,
                            lambda r: rx.vstack(
                                rx.text(r[0], size="1", color_scheme="gray"),
                                rx.text(
                                    rx.cond(r[1] != "", r[1], "—"),
                                    size="2",
                                    class_name="custom-value",
                                ),
                                spacing="0",
                            ),
                        ),
                        columns="4",
                        spacing="4",
                        width="100%",
                    ),
                    spacing="2",
                    width="100%",
                    padding_top="8px",
                ),
            ),
            spacing="3",
            align="stretch",
        )
    )


def timeline_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(tr("member.timeline"), size="3"),
            rx.foreach(
                MemberDetailState.timeline,
                lambda i: rx.hstack(
                    rx.box(
                        width="8px",
                        height="8px",
                        border_radius="50%",
                        background="var(--accent-9)",
                        margin_top="6px",
                    ),
                    rx.vstack(
                        rx.hstack(
                            rx.text(i["action"], weight="medium", size="2"),
                            rx.text(i["who"], size="1", color_scheme="gray"),
                            rx.text(i["at"], size="1", color_scheme="gray"),
                            spacing="2",
                        ),
                        rx.text(i["changes"], size="1", color_scheme="gray"),
                        spacing="0",
                    ),
                    align="start",
                    class_name="timeline-item",
                ),
            ),
            spacing="3",
            align="stretch",
        )
    )


def member_actions() -> rx.Component:
    return rx.cond(
        MemberDetailState.found,
        rx.hstack(
            rx.cond(
                MemberDetailState.perms.contains("members.status"),
                rx.hstack(
                    rx.foreach(MemberDetailState.status_actions, _status_button), spacing="2"
                ),
            ),
            rx.cond(
                MemberDetailState.perms.contains("members.write")
                & (MemberDetailState.member["status"] != "cancelled"),
                rx.link(
                    rx.button(rx.icon("pencil", size=14), tr("common.edit"), id="edit-member"),
                    href="/member/edit?id=" + MemberDetailState.member["id"],
                ),
            ),
            spacing="2",
        ),
    )
