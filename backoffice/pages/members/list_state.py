"""The member list's state: search, filters (incl. custom fields), sort, pages and the CSV
export with progress; every read goes through services/members as the signed-in actor."""

from __future__ import annotations

import asyncio
from typing import Any

import reflex as rx

from backoffice.db import session_scope
from backoffice.errors import DomainError
from backoffice.i18n import format_day
from backoffice.pages.session import SessionState, SignedOut
from backoffice.services.members import forms
from backoffice.services.members.csv_io import export_members_csv
from backoffice.services.members.forms import FieldType
from backoffice.services.members.profiles import all_tags
from backoffice.services.members.search import MemberQuery, count_members, search_members
from backoffice.services.org.auth import actor_for_token
from backoffice.services.org.stores import visible_stores

ALL = "all"
FILTERABLE = (FieldType.CHOICE, FieldType.MULTI_CHOICE, FieldType.BOOLEAN)


class MembersState(SessionState):
    q: str = ""
    store_filter: str = ALL
    status_filter: str = ALL
    tag_filter: str = ALL
    custom_filters: dict[str, str] = {}
    sort: str = "newest"
    page: int = 1
    page_size: int = 20
    rows: list[dict[str, str]] = []
    total: int = 0
    total_more: bool = False  # more matches than the list counts (total is then a floor)
    pages: int = 1
    store_options: list[list[str]] = []
    tag_options: list[str] = []
    filter_fields: list[dict[str, Any]] = []
    exporting: bool = False
    export_progress: int = 0

    def _query(self) -> MemberQuery:
        return MemberQuery(
            q=self.q[:100],
            store_id=int(self.store_filter) if self.store_filter.isdigit() else None,
            status="" if self.status_filter == ALL else self.status_filter,
            tag="" if self.tag_filter == ALL else self.tag_filter,
            custom={k: v for k, v in self.custom_filters.items() if v and v != ALL},
            sort=self.sort,
            page=max(1, self.page),
            page_size=self.page_size,
        )

    def _refresh(self) -> Any:
        try:
            with session_scope() as session:
                actor = self._actor(session)
                result = search_members(session, actor, self._query())
        except (SignedOut, DomainError) as exc:
            return self._fail(exc)
        self.total = result.total
        self.total_more = result.more
        self.pages = result.pages
        self.page = result.page
        self.rows = [
            {
                "id": str(r.id),
                "member_no": r.member_no,
                "name": r.name,
                "phone": r.phone,
                "store": r.store_name,
                "status": r.status,
                "joined": format_day(r.joined_at, self.lang),
                "tags": "、".join(r.tags),
            }
            for r in result.rows
        ]
        return None

    @rx.event
    def open_page(self) -> Any:
        """on_load: filter choices from the services, then the first page."""
        try:
            with session_scope() as session:
                actor = self._actor(session)
                stores = visible_stores(session, actor)
                tags = all_tags(session, actor)
                fields = [f for f in forms.list_fields(session) if f.type in FILTERABLE]
        except (SignedOut, DomainError) as exc:
            return self._fail(exc)
        self.store_options = [[str(s.id), s.name] for s in stores if not s.is_hq]
        self.tag_options = tags
        self.filter_fields = [
            {
                "key": f.key,
                "label": f.label,
                "type": f.type.value,
                "options": [["true", self._tr("common.yes")], ["false", self._tr("common.no")]]
                if f.type == FieldType.BOOLEAN
                else [[o, o] for o in f.options],
                "value": self.custom_filters.get(f.key, ALL),
            }
            for f in fields
        ]
        return self._refresh()

    @rx.event
    def search(self, form: dict[str, Any]) -> Any:
        self.q = str(form.get("q", ""))[:100]
        self.page = 1
        return self._refresh()

    @rx.event
    def set_filter(self, name: str, value: str) -> Any:
        if name == "store":
            self.store_filter = value
        elif name == "status":
            self.status_filter = value
        elif name == "tag":
            self.tag_filter = value
        elif name == "sort":
            self.sort = value
        self.page = 1
        return self._refresh()

    @rx.event
    def set_custom_filter(self, key: str, value: str) -> Any:
        self.custom_filters = {**self.custom_filters, str(key)[:40]: str(value)[:100]}
        self.filter_fields = [
            {**f, "value": value if f["key"] == key else f["value"]} for f in self.filter_fields
        ]
        self.page = 1
        return self._refresh()

    @rx.event
    def clear_filters(self) -> Any:
        self.q = ""
        self.store_filter = self.status_filter = self.tag_filter = ALL
        self.custom_filters = {}
        self.filter_fields = [{**f, "value": ALL} for f in self.filter_fields]
        self.sort = "newest"
        self.page = 1
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
            .replace("{total}", f"{self.total}+" if self.total_more else str(self.total))
        )

    @rx.event(background=True)
    async def export_csv(self) -> Any:
        """Export every page of the current filter; the bar follows the service's progress."""
        async with self:
            if self.exporting:
                return
            token, query, lang = self._token(), self._query(), self.lang
            self.exporting, self.export_progress = True, 0
        progress = {"done": 0, "total": 1}

        def run() -> tuple[str, int]:
            with session_scope() as session:
                actor = actor_for_token(session, token)
                if actor is None:
                    raise SignedOut
                progress["total"] = max(1, count_members(session, actor, query))
                return export_members_csv(
                    session, actor, query, lambda done, _t: progress.__setitem__("done", done)
                )

        task = asyncio.create_task(asyncio.to_thread(run))
        while not task.done():
            await asyncio.sleep(0.25)
            async with self:
                self.export_progress = min(100, 100 * progress["done"] // progress["total"])
        async with self:
            self.exporting = False
            self.export_progress = 100
            try:
                text, rows = task.result()
            except (SignedOut, DomainError) as exc:
                yield self._fail(exc)
                return
            yield rx.toast.success(self._tr("members.exported", rows=rows))
        yield rx.download(data=text.encode("utf-8"), filename="members.csv")
        del lang
