"""One data table for every list in the back-office: columns, rows, empty state, pager,
sortable headers and download buttons, all optional but the first two.

The page describes its columns (a header label and either a row key or a cell renderer)
and hands over the rows var; the table renders header, body and the parts asked for.
Labels come from the page, so this module knows no translations and no state.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import reflex as rx

Cell = Callable[[rx.Var], Any]


@dataclass(frozen=True)
class Column:
    """One column: `field` shows `row[field]` as it is; `cell` renders anything else."""

    header: Any = ""
    field: str = ""
    cell: Cell | None = None
    sort_key: str = ""  # with data_table(sort=...), the header sorts by this key
    props: dict[str, Any] = dataclasses.field(default_factory=dict)  # the body cells' props
    header_props: dict[str, Any] = dataclasses.field(default_factory=dict)

    def render(self, row: rx.Var) -> Any:
        return self.cell(row) if self.cell is not None else row[self.field]


@dataclass(frozen=True)
class Pager:
    """Previous/next under the table; `summary` says which rows these are."""

    summary: Any
    on_prev: Any
    on_next: Any
    has_prev: Any
    has_next: Any
    prev_label: Any
    next_label: Any


@dataclass(frozen=True)
class Sort:
    """The current sort (`key`, `direction` "asc"/"desc") and `on_sort(key)`."""

    key: Any
    direction: Any
    on_sort: Callable[[str], Any]


@dataclass(frozen=True)
class Download:
    """A download button above the table (CSV, Excel), shown when `shown` holds."""

    label: Any
    on_click: Any
    icon: str = "download"
    disabled: Any = False
    shown: Any = True
    element_id: str | None = None


def pager_bar(
    summary: Any,
    on_prev: Any,
    on_next: Any,
    has_prev: Any,
    has_next: Any,
    prev_label: Any,
    next_label: Any,
) -> rx.Component:
    return rx.hstack(
        rx.text(summary, size="2", color_scheme="gray"),
        rx.spacer(),
        rx.button(
            prev_label,
            on_click=on_prev,
            disabled=~has_prev,
            variant="soft",
            size="1",
            id="page-prev",
        ),
        rx.button(
            next_label,
            on_click=on_next,
            disabled=~has_next,
            variant="soft",
            size="1",
            id="page-next",
        ),
        width="100%",
        align="center",
    )


def _sort_icon(column: Column, sort: Sort) -> rx.Component:
    return rx.cond(
        sort.key == column.sort_key,
        rx.cond(
            sort.direction == "asc", rx.icon("arrow-up", size=12), rx.icon("arrow-down", size=12)
        ),
        rx.icon("arrow-up-down", size=12, opacity="0.4"),
    )


def _header_cell(column: Column, sort: Sort | None) -> rx.Component:
    label = column.header
    if sort is not None and column.sort_key:
        label = rx.button(
            column.header,
            _sort_icon(column, sort),
            variant="ghost",
            size="1",
            on_click=sort.on_sort(column.sort_key),
            class_name="sort-" + column.sort_key,
        )
    return rx.table.column_header_cell(label, **column.header_props)


def _download_button(download: Download) -> rx.Component:
    props = {"id": download.element_id} if download.element_id else {}
    return rx.cond(
        download.shown,
        rx.button(
            rx.icon(download.icon, size=12),
            download.label,
            size="1",
            variant="soft",
            on_click=download.on_click,
            disabled=download.disabled,
            **props,
        ),
    )


def download_buttons(downloads: Sequence[Download]) -> rx.Component:
    return rx.hstack(*[_download_button(d) for d in downloads], spacing="1")


def _toolbar(
    caption: Any, actions: Sequence[rx.Component], downloads: Sequence[Download], loading: Any
) -> rx.Component:
    return rx.hstack(
        caption if caption is not None else rx.fragment(),
        rx.spacer(),
        rx.cond(loading, rx.spinner(size="2")) if loading is not None else rx.fragment(),
        *actions,
        download_buttons(downloads) if downloads else rx.fragment(),
        width="100%",
        align="center",
    )


def data_table(
    columns: Sequence[Column],
    rows: rx.Var,
    *,
    table_id: str | None = None,
    row_class: str = "",
    row_props: Callable[[rx.Var], dict[str, Any]] | None = None,
    empty: Any = None,
    show: Any = None,
    loading: Any = None,
    pager: Pager | None = None,
    sort: Sort | None = None,
    downloads: Sequence[Download] = (),
    caption: Any = None,
    actions: Sequence[rx.Component] = (),
    **table_props: Any,
) -> rx.Component:
    """A table of `rows` (a list var of dicts), one `Column` per column.

    `empty`: the text shown instead of the table while `show` (default: any rows) is false;
    without it the table is always there. `row_props(row)` adds per-row props (an id).
    `caption`, `actions`, `downloads` and `loading` make a toolbar above; `pager` a pager
    below. `table_props` go to rx.table.root (default variant "surface", width 100%).
    """

    def body_row(row: rx.Var) -> rx.Component:
        extra = row_props(row) if row_props is not None else {}
        if row_class:
            extra = {"class_name": row_class, **extra}
        return rx.table.row(
            *[rx.table.cell(c.render(row), **c.props) for c in columns],
            **extra,
        )

    props: dict[str, Any] = {"variant": "surface", "width": "100%", **table_props}
    if table_id:
        props["id"] = table_id
    if props["variant"] is None:
        del props["variant"]
    table: rx.Component = rx.table.root(
        rx.table.header(rx.table.row(*[_header_cell(c, sort) for c in columns])),
        rx.table.body(rx.foreach(rows, body_row)),
        **props,
    )
    if empty is not None:
        table = rx.cond(
            show if show is not None else rows.length() > 0,
            table,
            rx.callout(empty, icon="info", color_scheme="gray"),
        )
    parts: list[rx.Component] = []
    if caption is not None or actions or downloads or loading is not None:
        parts.append(_toolbar(caption, actions, downloads, loading))
    parts.append(table)
    if pager is not None:
        parts.append(
            pager_bar(
                pager.summary,
                pager.on_prev,
                pager.on_next,
                pager.has_prev,
                pager.has_next,
                pager.prev_label,
                pager.next_label,
            )
        )
    return parts[0] if len(parts) == 1 else rx.fragment(*parts)
