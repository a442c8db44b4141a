"""/roles: what each role may do, as a grid of permissions × roles (HQ admin)."""

from __future__ import annotations

from typing import Any

import reflex as rx

from backoffice.db import session_scope
from backoffice.errors import DomainError, ValidationFailed
from backoffice.pages.layout import shell
from backoffice.pages.session import SessionState, SignedOut, tr
from backoffice.services.org.access import PERMISSIONS, require
from backoffice.services.org.staff import roles, update_role_permissions
from backoffice.services.org.two_factor import set_role_requirement

PERMISSION_ORDER = list(PERMISSIONS)


class RolesState(SessionState):
    role_codes: list[str] = []
    role_labels: list[str] = []
    # One row per permission (catalog order): its code, its label and a tick per role.
    rows: list[dict[str, Any]] = []
    can_edit: bool = False
    # Per role (same order as role_codes): must its staff sign in with a second factor?
    two_factor: list[bool] = []

    def _load(self) -> Any:
        try:
            with session_scope() as session:
                actor = self._actor(session)
                require(actor, "staff.read")
                found = roles(session)
                self.can_edit = actor.can("staff.manage") and actor.store_ids is None
        except (SignedOut, DomainError) as exc:
            return self._fail(exc)
        self.role_codes = [r.code for r in found]
        self.role_labels = [self._tr(f"role.{r.code}") for r in found]
        self.two_factor = [r.require_two_factor for r in found]
        self.rows = [
            {
                "perm": p,
                "label": self._tr(f"perm.{p}"),
                "cells": [p in r.permissions for r in found],
            }
            for p in PERMISSION_ORDER
        ]
        return None

    @rx.event
    def open_page(self) -> Any:
        return self._load()

    @rx.event
    def toggle(self, row: int, column: int, checked: bool) -> None:
        """Only the screen changes here; `save` sends one role to the service."""
        if not (0 <= int(row) < len(self.rows) and 0 <= int(column) < len(self.role_codes)):
            return
        rows = [dict(r) for r in self.rows]
        cells = list(rows[int(row)]["cells"])
        cells[int(column)] = bool(checked)
        rows[int(row)]["cells"] = cells
        self.rows = rows

    @rx.event
    def save(self, column: int) -> Any:
        if not 0 <= int(column) < len(self.role_codes):
            return None
        role = self.role_codes[int(column)]
        wanted = [r["perm"] for r in self.rows if r["cells"][int(column)]]
        try:
            self._call(update_role_permissions, role, wanted)
        except ValidationFailed as exc:
            self._load()
            return rx.toast.error(next(iter(self._field_errors(exc).values())))
        except (SignedOut, DomainError) as exc:
            return self._fail(exc)
        return rx.toast.success(self._tr("roles.saved"))

    @rx.event
    def set_two_factor(self, column: int, required: bool) -> Any:
        """Saved at once: the service checks HQ's right to change it."""
        if not 0 <= int(column) < len(self.role_codes):
            return None
        try:
            self._call(set_role_requirement, self.role_codes[int(column)], required is True)
        except (SignedOut, DomainError) as exc:
            self._load()
            return self._fail(exc)
        self._load()
        return rx.toast.success(self._tr("twofa.role_saved"))


def two_factor_row() -> rx.Component:
    return rx.card(
        rx.hstack(
            rx.text(tr("twofa.role_row"), size="2", weight="medium"),
            rx.foreach(
                RolesState.role_labels,
                lambda label, column: rx.text(
                    rx.hstack(
                        rx.checkbox(
                            checked=RolesState.two_factor[column],
                            disabled=~RolesState.can_edit,
                            on_change=lambda value: RolesState.set_two_factor(column, value),
                            id="twofa-role-" + RolesState.role_codes[column],
                        ),
                        label,
                        spacing="1",
                        align="center",
                    ),
                    as_="label",
                    size="2",
                ),
            ),
            spacing="4",
            wrap="wrap",
            align="center",
        ),
        id="twofa-roles",
    )


def _row(row: rx.Var, index: rx.Var) -> rx.Component:
    return rx.table.row(
        # The sentence only: the permission's code is for tests and tools, not for managers.
        rx.table.cell(rx.text(row["label"].to(str), size="2")),
        rx.foreach(
            row["cells"].to(list[bool]),
            lambda ticked, column: rx.table.cell(
                rx.checkbox(
                    checked=ticked,
                    disabled=~RolesState.can_edit,
                    class_name="role-grant",
                    on_change=lambda value: RolesState.toggle(index, column, value),
                ),
                text_align="center",
            ),
        ),
        class_name="role-row",
        custom_attrs={"data-perm": row["perm"].to(str)},
    )


@rx.page(
    route="/roles",
    title="Roles · Back-office",
    on_load=[SessionState.require_sign_in, RolesState.open_page],
)
def roles_page() -> rx.Component:
    return shell(
        tr("roles.title"),
        rx.text(tr("roles.help"), size="2", color_scheme="gray"),
        two_factor_row(),
        rx.table.root(
            rx.table.header(
                rx.table.row(
                    rx.table.column_header_cell(tr("roles.permission")),
                    rx.foreach(
                        RolesState.role_labels,
                        lambda label, column: rx.table.column_header_cell(
                            rx.vstack(
                                rx.text(label),
                                rx.cond(
                                    RolesState.can_edit,
                                    rx.button(
                                        tr("common.save"),
                                        size="1",
                                        variant="soft",
                                        on_click=RolesState.save(column),
                                        id="save-role-" + RolesState.role_codes[column],
                                    ),
                                ),
                                align="center",
                                spacing="1",
                            ),
                            text_align="center",
                        ),
                    ),
                )
            ),
            rx.table.body(rx.foreach(RolesState.rows, _row)),
            variant="surface",
            size="1",
            width="100%",
            id="roles-table",
        ),
    )
