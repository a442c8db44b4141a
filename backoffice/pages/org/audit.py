"""Audit log: filters, pages of entries with readable changes, and the hash-chain check."""

from __future__ import annotations

from typing import Any

import reflex as rx

from backoffice.components.fields import field_error
from backoffice.components.tables import Column, Pager, data_table
from backoffice.pages.layout import shell
from backoffice.pages.org.audit_state import ALL, AuditState
from backoffice.pages.session import SessionState, tr

__all__ = ["AuditState", "audit_page"]


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
    # The action in words; its code below, as the action filter takes it ("members.").
    return rx.vstack(
        rx.text(S.t.get("action." + row["action"], ""), size="2"),
        rx.code(row["action"], variant="ghost", size="1", color_scheme="gray"),
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
