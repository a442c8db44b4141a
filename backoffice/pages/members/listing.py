"""Member list page: search, filters (incl. custom fields), sort, pages, CSV export with
progress and the bulk coupon; the state is in `list_state`, the coupon in `bulk_coupons`."""

from __future__ import annotations

from typing import Any

import reflex as rx

from backoffice.components.fields import status_badge
from backoffice.components.tables import Column, Pager, data_table
from backoffice.pages.layout import shell
from backoffice.pages.members.bulk_coupons import issue_button, issue_dialog, issue_progress
from backoffice.pages.members.list_state import ALL, MembersState
from backoffice.pages.session import SessionState, tr


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
        issue_button(),
        rx.cond(
            MembersState.perms.contains("members.export"),
            rx.button(
                rx.icon("download", size=16),
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
        issue_progress(),
        issue_dialog(),
        rx.cond(
            MembersState.exporting,
            rx.progress(value=MembersState.export_progress, id="export-progress"),
        ),
        member_table(),
        actions=actions,
    )
