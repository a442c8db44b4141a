"""Member list: search, filters (incl. custom fields), sort, pages, CSV export with progress."""

from __future__ import annotations

import asyncio
from typing import Any

import reflex as rx

from backoffice.components.dialogs import confirm_dialog
from backoffice.components.fields import status_badge
from backoffice.components.tables import Column, Pager, data_table
from backoffice.db import session_scope
from backoffice.errors import DomainError
from backoffice.i18n import format_day
from backoffice.models import FieldType
from backoffice.pages.layout import shell
from backoffice.pages.session import SessionState, SignedOut, tr
from backoffice.services.loyalty.coupons import issue_to_members, list_templates
from backoffice.services.members import forms
from backoffice.services.members.csv_io import export_members_csv
from backoffice.services.members.profiles import (
    MemberQuery,
    all_tags,
    count_members,
    search_members,
)
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
    issue_open: bool = False
    issuing: bool = False
    issue_progress: int = 0
    template_options: list[list[str]] = []
    issue_error: str = ""

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

    @rx.event
    def open_issue(self) -> Any:
        try:
            templates = self._call(lambda s, a: list_templates(s, a, include_inactive=False))
        except (SignedOut, DomainError) as exc:
            return self._fail(exc)
        self.template_options = [[str(t.id), t.name] for t in templates]
        self.issue_error = ""
        self.issue_open = True
        return None

    @rx.event
    def close_issue(self) -> None:
        self.issue_open = False

    @rx.event(background=True)
    async def issue_coupons(self, form: dict[str, Any]) -> Any:
        """Fan a coupon out to every member of the current filter, with a progress bar."""
        raw = str(form.get("template", ""))
        async with self:
            if self.issuing:
                return
            if not raw.isdigit():
                self.issue_error = self._tr("error.required")
                return
            token, query = self._token(), self._query()
            self.issuing, self.issue_progress, self.issue_open = True, 0, False
        progress = {"done": 0, "total": 1}

        def run() -> Any:
            with session_scope() as session:
                actor = actor_for_token(session, token)
                if actor is None:
                    raise SignedOut
                progress["total"] = max(1, count_members(session, actor, query))
                return issue_to_members(
                    session,
                    actor,
                    int(raw),
                    query,
                    lambda done, _t: progress.__setitem__("done", done),
                )

        task = asyncio.create_task(asyncio.to_thread(run))
        while not task.done():
            await asyncio.sleep(0.25)
            async with self:
                self.issue_progress = min(100, 100 * progress["done"] // progress["total"])
        async with self:
            self.issuing = False
            try:
                report = task.result()
            except (SignedOut, DomainError) as exc:
                yield self._fail(exc)
                return
            yield rx.toast.success(
                self._tr("members.issued", issued=report.issued, skipped=report.skipped)
            )

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


def _select(
    value: Any,
    on_change: Any,
    items: rx.Component,
    prompt: Any,
    id_: str,
) -> rx.Component:
    return rx.select.root(
        rx.select.trigger(placeholder=prompt, min_width="130px", id=id_),
        rx.select.content(items),
        value=value,
        on_change=on_change,
        size="2",
    )


def _custom_filter(field: rx.Var) -> rx.Component:
    return _select(
        field["value"].to(str),
        lambda v: MembersState.set_custom_filter(field["key"].to(str), v),
        rx.fragment(
            rx.select.item(field["label"].to(str) + ": " + tr("common.all"), value=ALL),
            rx.foreach(
                field["options"].to(list[list[str]]),
                lambda o: rx.select.item(field["label"].to(str) + ": " + o[1], value=o[0]),
            ),
        ),
        field["label"],
        "filter-" + field["key"].to(str),
    )


def filters() -> rx.Component:
    return rx.vstack(
        rx.form(
            rx.hstack(
                rx.input(
                    rx.input.slot(rx.icon("search", size=16)),
                    name="q",
                    placeholder=tr("members.search_hint"),
                    default_value=MembersState.q,
                    width="380px",
                    id="member-search",
                ),
                rx.button(tr("common.search"), type="submit", id="member-search-go"),
                rx.button(
                    tr("common.reset"),
                    type="button",
                    variant="soft",
                    color_scheme="gray",
                    on_click=MembersState.clear_filters,
                ),
                spacing="2",
            ),
            on_submit=MembersState.search,
            reset_on_submit=False,
        ),
        rx.hstack(
            _select(
                MembersState.store_filter,
                lambda v: MembersState.set_filter("store", v),
                rx.fragment(
                    rx.select.item(tr("members.store") + ": " + tr("common.all"), value=ALL),
                    rx.foreach(
                        MembersState.store_options, lambda s: rx.select.item(s[1], value=s[0])
                    ),
                ),
                tr("members.store"),
                "filter-store",
            ),
            _select(
                MembersState.status_filter,
                lambda v: MembersState.set_filter("status", v),
                rx.fragment(
                    rx.select.item(tr("members.status") + ": " + tr("common.all"), value=ALL),
                    *[
                        rx.select.item(tr(f"status.{s}"), value=s)
                        for s in ("active", "frozen", "cancelled")
                    ],
                ),
                tr("members.status"),
                "filter-status",
            ),
            _select(
                MembersState.tag_filter,
                lambda v: MembersState.set_filter("tag", v),
                rx.fragment(
                    rx.select.item(tr("members.tag") + ": " + tr("common.all"), value=ALL),
                    rx.foreach(MembersState.tag_options, lambda t: rx.select.item(t, value=t)),
                ),
                tr("members.tag"),
                "filter-tag",
            ),
            rx.foreach(MembersState.filter_fields, _custom_filter),
            rx.spacer(),
            _select(
                MembersState.sort,
                lambda v: MembersState.set_filter("sort", v),
                rx.fragment(
                    *[
                        rx.select.item(tr(f"members.sort.{s}"), value=s)
                        for s in ("newest", "oldest", "name", "joined")
                    ]
                ),
                tr("members.sort"),
                "sort",
            ),
            spacing="2",
            wrap="wrap",
            width="100%",
        ),
        spacing="3",
        width="100%",
    )


def issue_dialog() -> rx.Component:
    return confirm_dialog(
        tr("members.issue_coupon"),
        rx.select.root(
            rx.select.trigger(
                placeholder=tr("member.choose"), width="100%", id="bulk-coupon-template"
            ),
            rx.select.content(
                rx.foreach(
                    MembersState.template_options,
                    lambda o: rx.select.item(o[1], value=o[0]),
                )
            ),
            name="template",
        ),
        rx.cond(
            MembersState.issue_error != "",
            rx.text(MembersState.issue_error, color_scheme="red", size="1"),
        ),
        description=MembersState.summary,
        confirm_label=tr("common.confirm"),
        cancel_label=tr("common.cancel"),
        on_confirm=MembersState.issue_coupons,
        on_cancel=MembersState.close_issue,
        form=True,
        open=MembersState.issue_open,
        confirm_id="bulk-coupon-confirm",
    )


def _link(key: str, **props: Any) -> Any:
    return lambda r: rx.link(r[key], href="/member?id=" + r["id"], **props)


def _status(row: rx.Var) -> rx.Component:
    return status_badge(row["status"], MembersState.t.get("status." + row["status"], ""))


def member_table() -> rx.Component:
    return data_table(
        [
            Column(tr("members.col.no"), cell=_link("member_no")),
            Column(tr("members.col.name"), cell=_link("name", weight="medium")),
            Column(tr("members.col.phone"), "phone", props={"class_name": "member-phone"}),
            Column(tr("members.col.store"), "store"),
            Column(tr("members.col.status"), cell=_status),
            Column(tr("members.col.tags"), "tags"),
            Column(tr("members.col.joined"), "joined"),
        ],
        MembersState.rows,
        table_id="member-table",
        row_class="member-row",
        empty=tr("common.none"),
        show=MembersState.total > 0,
        pager=Pager(
            MembersState.summary,
            MembersState.go_page(-1),
            MembersState.go_page(1),
            MembersState.page > 1,
            MembersState.page < MembersState.pages,
            tr("common.previous"),
            tr("common.next"),
        ),
    )


@rx.page(
    route="/members",
    title="Members · Back-office",
    on_load=[SessionState.require_sign_in, MembersState.open_page],
)
def members_page() -> rx.Component:
    actions = rx.hstack(
        rx.cond(
            MembersState.perms.contains("coupons.issue"),
            rx.button(
                rx.icon("ticket", size=16),
                tr("members.issue_coupon"),
                variant="soft",
                on_click=MembersState.open_issue,
                disabled=MembersState.issuing,
                id="bulk-coupon",
            ),
        ),
        rx.cond(
            MembersState.perms.contains("members.export"),
            rx.button(
                rx.icon("download", size=16),
                rx.cond(
                    MembersState.issuing,
                    rx.vstack(
                        rx.text(tr("members.issuing"), size="2"),
                        rx.progress(value=MembersState.issue_progress, id="issue-progress"),
                        width="100%",
                    ),
                ),
                issue_dialog(),
                rx.cond(MembersState.exporting, tr("members.exporting"), tr("members.export")),
                variant="soft",
                on_click=MembersState.export_csv,
                disabled=MembersState.exporting,
                id="export-csv",
            ),
        ),
        rx.cond(
            MembersState.perms.contains("members.write"),
            rx.link(
                rx.button(rx.icon("user-plus", size=16), tr("members.new"), id="new-member"),
                href="/member/new",
            ),
        ),
        spacing="2",
    )
    return shell(
        tr("members.title"),
        filters(),
        rx.cond(
            MembersState.exporting,
            rx.progress(value=MembersState.export_progress, id="export-progress"),
        ),
        member_table(),
        actions=actions,
    )
