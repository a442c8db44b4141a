"""Audit log: filters, pages of entries with readable changes, and the hash-chain check."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

import reflex as rx

from backoffice.components.fields import field_error
from backoffice.components.tables import Column, Pager, data_table
from backoffice.db import session_scope
from backoffice.errors import DomainError, PermissionDenied
from backoffice.i18n import format_when
from backoffice.pages.layout import shell
from backoffice.pages.session import SessionState, SignedOut, tr
from backoffice.services.org.audit import AuditFilter, list_audit, verify_chain_as
from backoffice.services.org.auth import actor_for_token
from backoffice.services.org.staff import roles
from backoffice.services.org.stores import visible_stores

ALL = "all"
PAGE_SIZE = 50
DEFAULT_ZONE = "Asia/Shanghai"


def _show(value: Any, yes_no: tuple[str, str]) -> str:
    if isinstance(value, bool):
        return yes_no[0] if value else yes_no[1]
    if isinstance(value, list):
        return "、".join(_show(v, yes_no) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}={_show(v, yes_no)}" for k, v in value.items())
    if value is None:
        return ""
    return str(value)


def describe_changes(changes: dict[str, Any], yes_no: tuple[str, str] = ("yes", "no")) -> str:
    """{field: [before, after]} → "field: before → after; …"; other values as "field: value"."""
    parts = []
    for key, value in (changes or {}).items():
        if isinstance(value, list) and len(value) == 2:
            before, after = _show(value[0], yes_no) or "—", _show(value[1], yes_no) or "—"
            parts.append(f"{key}: {before} → {after}")
        else:
            parts.append(f"{key}: {_show(value, yes_no)}")
    return "; ".join(parts)


def _day(raw: Any) -> date | None:
    try:
        return date.fromisoformat(str(raw).strip())
    except ValueError:
        return None


class AuditState(SessionState):
    actor_q: str = ""
    role_filter: str = ALL
    store_filter: str = ALL
    action_q: str = ""
    date_from: str = ""
    date_to: str = ""
    page: int = 1
    pages: int = 1
    total: int = 0
    rows: list[dict[str, str]] = []
    role_options: list[list[str]] = []  # [code, name]
    store_options: list[list[str]] = []  # [id, name, timezone]
    errors: dict[str, str] = {}
    form_version: int = 0
    verifying: bool = False
    verified: bool = False
    verify_ok: bool = False
    verify_summary: str = ""
    verify_problems: list[str] = []

    def _filters(self) -> AuditFilter:
        return AuditFilter(
            actor=self.actor_q,
            role="" if self.role_filter == ALL else self.role_filter,
            store_id=int(self.store_filter) if self.store_filter.isdigit() else None,
            action=self.action_q,
            date_from=_day(self.date_from),
            date_to=_day(self.date_to),
        )

    def _refresh(self) -> Any:
        try:
            with session_scope() as session:
                actor = self._actor(session)
                entries, total = list_audit(
                    session, actor, self._filters(), max(1, self.page), PAGE_SIZE
                )
        except (SignedOut, DomainError) as exc:
            self.rows = []
            return self._fail(exc)
        self.total = total
        self.pages = max(1, -(-total // PAGE_SIZE))
        stores = {s[0]: s for s in self.store_options}
        yes_no = (self._tr("common.yes"), self._tr("common.no"))
        self.rows = []
        for e in entries:
            store = stores.get(str(e.store_id), [])
            zone = store[2] if store else DEFAULT_ZONE
            self.rows.append(
                {
                    "id": str(e.id),
                    "at": format_when(e.at, self.lang, zone),
                    "actor": e.actor_name,
                    "role": e.role,
                    "store": store[1]
                    if store
                    else ("" if e.store_id is None else f"#{e.store_id}"),
                    "action": e.action,
                    "target": f"{e.target_type} #{e.target_id}" if e.target_type else "",
                    "changes": describe_changes(e.changes, yes_no),
                }
            )
        return None

    @rx.event
    def open_page(self) -> Any:
        """on_load: role and store choices, then the newest entries."""
        try:
            with session_scope() as session:
                actor = self._actor(session)
                role_rows = roles(session)
                try:
                    stores = visible_stores(session, actor, include_inactive=True)
                except PermissionDenied:
                    stores = []  # audit.read without stores.read: filter by id only
        except (SignedOut, DomainError) as exc:
            return self._fail(exc)
        self.role_options = [[r.code, r.name] for r in role_rows]
        self.store_options = [[str(s.id), s.name, s.timezone] for s in stores]
        self.verified = False
        self.page = 1
        return self._refresh()

    @rx.event
    def search(self, form: dict[str, Any]) -> Any:
        self.actor_q = str(form.get("actor", "")).strip()[:100]
        self.action_q = str(form.get("action", "")).strip()[:60]
        self.role_filter = str(form.get("role") or ALL)[:40]
        self.store_filter = str(form.get("store") or ALL)[:20]
        self.date_from = str(form.get("date_from", "")).strip()[:10]
        self.date_to = str(form.get("date_to", "")).strip()[:10]
        self.errors = {}
        for name in ("date_from", "date_to"):
            if getattr(self, name) and _day(getattr(self, name)) is None:
                self.errors[name] = self._tr("error.date")
        if self.errors:
            return None
        self.page = 1
        return self._refresh()

    @rx.event
    def clear_filters(self) -> Any:
        self.actor_q = self.action_q = self.date_from = self.date_to = ""
        self.role_filter = self.store_filter = ALL
        self.errors = {}
        self.page = 1
        self.form_version += 1  # remount the uncontrolled inputs empty
        return self._refresh()

    @rx.event
    def go_page(self, delta: int) -> Any:
        self.page = max(1, min(self.pages, self.page + int(delta)))
        return self._refresh()

    @rx.var
    def summary(self) -> str:
        return (
            self.t.get("common.page_of", "")
            .replace("{page}", str(self.page))
            .replace("{pages}", str(self.pages))
            .replace("{total}", str(self.total))
        )

    @rx.event(background=True)
    async def verify(self) -> Any:
        """Walk the whole chain off the event loop; a long log must not freeze the page."""
        async with self:
            if self.verifying:
                return
            token = self._token()
            self.verifying, self.verified = True, False

        def run() -> Any:
            with session_scope() as session:
                actor = actor_for_token(session, token)
                if actor is None:
                    raise SignedOut
                return verify_chain_as(session, actor)

        try:
            report = await asyncio.to_thread(run)
        except (SignedOut, DomainError) as exc:
            async with self:
                self.verifying = False
                yield self._fail(exc)
            return
        async with self:
            self.verifying = False
            self.verified = True
            self.verify_ok = report.ok
            key = "audit.verify_ok" if report.ok else "audit.verify_bad"
            self.verify_summary = self._tr(key, checked=report.checked, count=len(report.problems))
            self.verify_problems = report.problems[:200]


S = AuditState


def _select(name: str, value: Any, all_label: Any, items: Any, id_: str) -> rx.Component:
    return rx.select.root(
        rx.select.trigger(min_width="130px", id=id_),
        rx.select.content(rx.select.item(all_label, value=ALL), items),
        name=name,
        default_value=value,
    )


def _labelled_input(label_key: str, control: rx.Component, error: Any = "") -> rx.Component:
    return rx.vstack(
        rx.text(tr(label_key), size="1", color_scheme="gray"),
        control,
        field_error(error),
        spacing="1",
    )


def filters() -> rx.Component:
    return rx.form(
        rx.hstack(
            _labelled_input(
                "audit.actor",
                rx.input(
                    name="actor",
                    id="audit-actor",
                    placeholder=tr("audit.actor_hint"),
                    default_value=S.actor_q,
                    width="140px",
                ),
            ),
            _labelled_input(
                "audit.role",
                _select(
                    "role",
                    S.role_filter,
                    tr("audit.role") + ": " + tr("common.all"),
                    rx.foreach(
                        S.role_options,
                        lambda r: rx.select.item(S.t.get("role." + r[0], r[1]), value=r[0]),
                    ),
                    "audit-role",
                ),
            ),
            _labelled_input(
                "audit.store",
                _select(
                    "store",
                    S.store_filter,
                    tr("audit.store") + ": " + tr("common.all"),
                    rx.foreach(S.store_options, lambda s: rx.select.item(s[1], value=s[0])),
                    "audit-store",
                ),
            ),
            _labelled_input(
                "audit.action",
                rx.input(
                    name="action",
                    id="audit-action",
                    placeholder=tr("audit.action_hint"),
                    default_value=S.action_q,
                    width="170px",
                ),
            ),
            _labelled_input(
                "audit.date_from",
                rx.input(name="date_from", id="audit-from", type="date", default_value=S.date_from),
                S.errors.get("date_from", ""),
            ),
            _labelled_input(
                "audit.date_to",
                rx.input(name="date_to", id="audit-to", type="date", default_value=S.date_to),
                S.errors.get("date_to", ""),
            ),
            rx.hstack(
                rx.button(
                    rx.icon("search", size=16),
                    tr("common.search"),
                    type="submit",
                    id="audit-search",
                ),
                rx.button(
                    tr("common.reset"),
                    type="button",
                    variant="soft",
                    color_scheme="gray",
                    on_click=S.clear_filters,
                    id="audit-reset",
                ),
                spacing="2",
                padding_top="18px",
            ),
            spacing="3",
            wrap="wrap",
            align="start",
        ),
        on_submit=S.search,
        reset_on_submit=False,
        key=S.form_version,
        id="audit-filters",
    )


def verify_result() -> rx.Component:
    return rx.cond(
        S.verified,
        rx.callout.root(
            rx.callout.icon(rx.cond(S.verify_ok, rx.icon("shield-check"), rx.icon("shield-x"))),
            rx.callout.text(S.verify_summary, weight="medium"),
            rx.cond(
                S.verify_problems.length() > 0,
                rx.el.ul(
                    rx.foreach(
                        S.verify_problems,
                        lambda p: rx.el.li(rx.text(p, size="1"), class_name="audit-problem"),
                    ),
                    style={"margin": "0", "padding_left": "18px"},
                ),
            ),
            color_scheme=rx.cond(S.verify_ok, "green", "red"),
            id="audit-verify-result",
        ),
    )


def _action(row: rx.Var) -> rx.Component:
    return rx.vstack(
        rx.code(row["action"], variant="ghost", size="1"),
        rx.text(S.t.get("action." + row["action"], ""), size="1", color_scheme="gray"),
        spacing="0",
    )


def audit_table() -> rx.Component:
    return data_table(
        [
            Column(
                tr("audit.col.time"),
                cell=lambda r: rx.text(r["at"], size="1"),
                props={"white_space": "nowrap"},
            ),
            Column(
                tr("audit.col.actor"),
                cell=lambda r: rx.cond(r["actor"] != "", r["actor"], tr("audit.system")),
            ),
            Column(tr("audit.col.role"), cell=lambda r: S.t.get("role." + r["role"], r["role"])),
            Column(tr("audit.col.store"), "store"),
            Column(tr("audit.col.action"), cell=_action),
            Column(tr("audit.col.target"), cell=lambda r: rx.text(r["target"], size="1")),
            Column(
                tr("audit.col.changes"),
                cell=lambda r: rx.text(r["changes"], size="1", word_break="break-word"),
                props={"max_width": "420px"},
            ),
        ],
        S.rows,
        table_id="audit-table",
        row_class="audit-row",
        empty=tr("common.none"),
        show=S.total > 0,
        pager=Pager(
            S.summary,
            S.go_page(-1),
            S.go_page(1),
            S.page > 1,
            S.page < S.pages,
            tr("common.previous"),
            tr("common.next"),
        ),
        size="1",
    )


@rx.page(
    route="/audit",
    title="Audit log · Back-office",
    on_load=[SessionState.require_sign_in, AuditState.open_page],
)
def audit_page() -> rx.Component:
    actions = rx.button(
        rx.cond(S.verifying, rx.spinner(size="2"), rx.icon("shield-check", size=16)),
        rx.cond(S.verifying, tr("audit.verifying"), tr("audit.verify")),
        variant="soft",
        on_click=S.verify,
        disabled=S.verifying,
        id="audit-verify",
    )
    return shell(
        tr("audit.title"),
        filters(),
        verify_result(),
        audit_table(),
        actions=actions,
    )
