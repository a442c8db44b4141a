"""Staff accounts' page state: list and search; HQ creates, edits, resets passwords and unlocks (the service checks each)."""

from __future__ import annotations

from typing import Any

import reflex as rx

from backoffice.db import session_scope
from backoffice.errors import DomainError, NotFound, ValidationFailed
from backoffice.pages.session import SessionState, SignedOut
from backoffice.services.org.staff import (
    StaffInput,
    create_staff,
    list_staff,
    reset_password,
    roles,
    unlock_staff,
    update_staff,
)
from backoffice.services.org.stores import visible_stores

STORE_PREFIX = "store::"
LANGUAGE_NAMES = {"zh-CN": "中文", "en": "English"}


def _chosen_stores(form: dict[str, Any]) -> list[int]:
    """Checked store boxes (`store::<id>`) → ids; the service checks they exist."""
    ids = []
    for name, value in form.items():
        raw = str(name).removeprefix(STORE_PREFIX)
        if str(name).startswith(STORE_PREFIX) and raw.isdigit() and value in (True, "on", "true"):
            ids.append(int(raw))
    return sorted(set(ids))[:200]


class StaffState(SessionState):
    q: str = ""
    rows: list[dict[str, Any]] = []
    role_options: list[list[str]] = []  # [code, name]
    store_options: list[list[str]] = []  # [id, label, code]
    dialog: str = ""  # "", "new", "edit", "reset"
    editing_id: int = 0
    editing_name: str = ""
    values: dict[str, str] = {}
    chosen: list[str] = []
    active: bool = True
    errors: dict[str, str] = {}
    form_version: int = 0

    def _reload(self) -> Any:
        try:
            with session_scope() as session:
                actor = self._actor(session)
                staff = list_staff(session, actor, self.q)
                stores = visible_stores(session, actor, include_inactive=True)
                role_rows = roles(session)
        except (SignedOut, DomainError) as exc:
            self.rows = []
            return self._fail(exc)
        names = {s.id: s.name for s in stores}
        self.role_options = [[r.code, r.name] for r in role_rows]
        self.store_options = [
            [str(s.id), s.name if s.active else f"{s.name} ({self._tr('common.inactive')})", s.code]
            for s in stores
        ]
        self.rows = [
            {
                "id": r.id,
                "username": r.username,
                "display_name": r.display_name,
                "phone": r.phone,
                "role": r.role_code,
                "role_name": r.role_name,
                "stores": "、".join(names[i] for i in r.store_ids if i in names),
                "active": r.active,
                "locked": r.locked,
            }
            for r in staff
        ]
        return None

    @rx.event
    def open_page(self) -> Any:
        self.dialog = ""
        return self._reload()

    @rx.event
    def search(self, form: dict[str, Any]) -> Any:
        self.q = str(form.get("q", "")).strip()[:60]
        return self._reload()

    @rx.event
    def clear_search(self) -> Any:
        self.q = ""
        self.form_version += 1
        return self._reload()

    def _open(self, mode: str, values: dict[str, str], chosen: list[str], active: bool) -> None:
        self.dialog = mode
        self.values = values
        self.chosen = chosen
        self.active = active
        self.errors = {}
        self.form_version += 1

    def _find(self, staff_id: int) -> Any:
        """The row as the service lists it for this person (scope re-checked)."""
        row = next((r for r in self._call(list_staff) if r.id == int(staff_id)), None)
        if row is None:
            raise NotFound("error.not_found")
        return row

    @rx.event
    def open_new(self) -> None:
        self.editing_id = 0
        self.editing_name = ""
        self._open("new", {"locale": "zh-CN", "role_code": ""}, [], True)

    @rx.event
    def open_edit(self, staff_id: int) -> Any:
        try:
            row = self._find(staff_id)
        except (SignedOut, DomainError) as exc:
            return self._fail(exc)
        self.editing_id = row.id
        self.editing_name = row.display_name
        self._open(
            "edit",
            {
                "username": row.username,
                "display_name": row.display_name,
                "phone": row.phone,
                "role_code": row.role_code,
                "locale": row.locale,
            },
            [str(i) for i in row.store_ids],
            row.active,
        )
        return None

    @rx.event
    def open_reset(self, staff_id: int) -> Any:
        try:
            row = self._find(staff_id)
        except (SignedOut, DomainError) as exc:
            return self._fail(exc)
        self.editing_id = row.id
        self.editing_name = row.display_name
        self._open("reset", {}, [], row.active)
        return None

    @rx.event
    def close_dialog(self) -> None:
        self.dialog = ""
        self.errors = {}

    @rx.event
    def dialog_open_change(self, is_open: bool) -> None:
        if not is_open:
            self.close_dialog()

    @rx.event
    def save(self, form: dict[str, Any]) -> Any:
        if self.dialog not in ("new", "edit"):
            return None
        data = StaffInput(
            username=str(form.get("username", ""))[:60],
            display_name=str(form.get("display_name", ""))[:100],
            phone=str(form.get("phone", ""))[:32],
            role_code=str(form.get("role_code", ""))[:40],
            store_ids=_chosen_stores(form),
            locale=str(form.get("locale") or "zh-CN")[:10],
            active=True if self.dialog == "new" else form.get("active") in (True, "on", "true"),
            password=str(form.get("password", ""))[:200] if self.dialog == "new" else "",
        )
        self.errors = {}
        try:
            if self.dialog == "edit":
                self._call(update_staff, self.editing_id, data)
                message = "staff.updated"
            else:
                self._call(create_staff, data)
                message = "staff.created"
        except ValidationFailed as exc:
            self.errors = self._field_errors(exc)
            return rx.toast.error(self._tr("common.fix_errors"))
        except (SignedOut, DomainError) as exc:
            return self._fail(exc)
        self.dialog = ""
        self._reload()
        return rx.toast.success(self._tr(message))

    @rx.event
    def save_reset(self, form: dict[str, Any]) -> Any:
        if self.dialog != "reset":
            return None
        password = str(form.get("password", ""))[:200]
        if password != str(form.get("confirm_password", ""))[:200]:
            self.errors = {"confirm_password": self._tr("error.password_mismatch")}
            return None
        self.errors = {}
        try:
            self._call(reset_password, self.editing_id, password)
        except ValidationFailed as exc:
            self.errors = self._field_errors(exc)
            return None
        except (SignedOut, DomainError) as exc:
            return self._fail(exc)
        self.dialog = ""
        self._reload()
        return rx.toast.success(self._tr("staff.password_reset"))

    @rx.event
    def unlock(self, staff_id: int) -> Any:
        try:
            self._call(unlock_staff, int(staff_id))
        except (SignedOut, DomainError) as exc:
            return self._fail(exc)
        self._reload()
        return rx.toast.success(self._tr("staff.unlocked"))
