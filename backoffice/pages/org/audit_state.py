"""The audit log page's state: filters, pages of entries with readable changes, and the
hash-chain check (the page itself is in audit.py)."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

import reflex as rx

from backoffice.db import session_scope
from backoffice.errors import DomainError, PermissionDenied
from backoffice.i18n import format_when
from backoffice.pages.session import SessionState, SignedOut
from backoffice.services.org.audit import AuditFilter, list_audit, verify_chain_as
from backoffice.services.org.audit_wording import describe, load_names, target_label
from backoffice.services.org.auth import actor_for_token
from backoffice.services.org.staff import roles
from backoffice.services.org.stores import visible_stores

ALL = "all"
PAGE_SIZE = 50
DEFAULT_ZONE = "Asia/Shanghai"


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
                names = load_names(
                    session,
                    [e.changes for e in entries],
                    self.lang,
                    [(e.target_type or "", str(e.target_id or "")) for e in entries],
                )
        except (SignedOut, DomainError) as exc:
            self.rows = []
            return self._fail(exc)
        self.total = total
        self.pages = max(1, -(-total // PAGE_SIZE))
        stores = {s[0]: s for s in self.store_options}
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
                    "target": target_label(
                        e.target_type or "", str(e.target_id or ""), self.lang, names
                    ),
                    "changes": describe(e.changes, self.lang, names, e.target_type or ""),
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
