"""Store comparison and staff performance tables."""

from __future__ import annotations

from typing import Any

import reflex as rx

from backoffice.components.tables import Column, data_table
from backoffice.db import session_scope
from backoffice.errors import DomainError, ValidationFailed
from backoffice.i18n import format_money
from backoffice.pages.layout import shell
from backoffice.pages.reports.filters import (
    ReportFilterState,
    export_progress,
    filter_bar,
    need_reports,
    report_downloads,
)
from backoffice.pages.session import SessionState, SignedOut, tr
from backoffice.services.reports.store_staff import staff_performance, store_comparison


class StoresReportState(ReportFilterState):
    rows: list[dict[str, str]] = []

    def _compute(self) -> Any:
        self.filter_error = ""
        try:
            f = self._filter()
            with session_scope() as session:
                actor = self._actor(session)
                self._load_choices(session, actor)
                rows = store_comparison(session, actor, f)
        except ValidationFailed as exc:
            self._bad_filter(exc)
            return None
        except (SignedOut, DomainError) as exc:
            return self._fail(exc)
        money = lambda c: format_money(c, self.lang)  # noqa: E731
        self.rows = [
            {
                "store": f"{r.code} {r.name}",
                "sales": f"{r.sales_count:,}",
                "net": money(r.net_cents),
                "ticket": money(r.avg_ticket_cents),
                "previous": money(r.previous_net_cents),
                "growth": "—" if r.growth is None else f"{r.growth * 100:+.1f}%",
                "new": f"{r.new_members:,}",
                "active": f"{r.active_90:,}",
                "topup": money(r.topup_cents),
                "coupons": f"{r.coupons_used:,}",
            }
            for r in rows
        ]
        return None

    @rx.event
    def open_stores(self) -> Any:
        return need_reports(self) or self._compute()

    @rx.event
    def apply(self, form: dict[str, Any]) -> Any:
        self._take_form(form)
        return self._compute()

    @rx.event(background=True)
    async def download(self, fmt: str) -> Any:
        async for item in self._export("stores", "xlsx" if fmt == "xlsx" else "csv"):
            yield item


@rx.page(
    route="/reports/stores",
    title="Store comparison · Back-office",
    on_load=[SessionState.require_sign_in, StoresReportState.open_stores],
)
def stores_report_page() -> rx.Component:
    keys = [
        "store",
        "sales",
        "net",
        "ticket",
        "previous",
        "growth",
        "new",
        "active",
        "topup",
        "coupons",
    ]
    headers = [
        "report.col.store",
        "report.col.sales_count",
        "report.col.net_cents",
        "report.col.avg_ticket_cents",
        "report.col.previous_net_cents",
        "report.col.growth",
        "report.col.new_members",
        "report.col.active_90",
        "report.col.wallet_topup_cents",
        "report.col.coupons_used",
    ]
    return shell(
        tr("report.stores_title"),
        filter_bar(StoresReportState, StoresReportState.apply),
        export_progress(StoresReportState),
        data_table(
            [Column(tr(h), k) for h, k in zip(headers, keys, strict=True)],
            StoresReportState.rows,
            table_id="stores-table",
            row_class="store-row",
            downloads=report_downloads(
                StoresReportState,
                StoresReportState.download("csv"),
                StoresReportState.download("xlsx"),
            ),
        ),
    )


class StaffReportState(ReportFilterState):
    rows: list[dict[str, str]] = []

    def _compute(self) -> Any:
        self.filter_error = ""
        try:
            f = self._filter()
            with session_scope() as session:
                actor = self._actor(session)
                self._load_choices(session, actor)
                rows = staff_performance(session, actor, f)
        except ValidationFailed as exc:
            self._bad_filter(exc)
            return None
        except (SignedOut, DomainError) as exc:
            return self._fail(exc)
        self.rows = [
            {
                "staff": f"{r.display_name} ({r.username})",
                "sales": f"{r.sales_count:,}",
                "amount": format_money(r.sales_cents, self.lang),
                "ticket": format_money(r.avg_ticket_cents, self.lang),
                "members": f"{r.members_created:,}",
            }
            for r in rows
        ]
        return None

    @rx.event
    def open_staff(self) -> Any:
        return need_reports(self) or self._compute()

    @rx.event
    def apply(self, form: dict[str, Any]) -> Any:
        self._take_form(form)
        return self._compute()

    @rx.event(background=True)
    async def download(self, fmt: str) -> Any:
        async for item in self._export("staff", "xlsx" if fmt == "xlsx" else "csv"):
            yield item


@rx.page(
    route="/reports/staff",
    title="Staff performance · Back-office",
    on_load=[SessionState.require_sign_in, StaffReportState.open_staff],
)
def staff_report_page() -> rx.Component:
    keys = ["staff", "sales", "amount", "ticket", "members"]
    headers = [
        "report.col.staff",
        "report.col.sales_count",
        "report.col.sales_due_cents",
        "report.col.avg_ticket_cents",
        "report.col.members_created",
    ]
    return shell(
        tr("report.staff_title"),
        filter_bar(StaffReportState, StaffReportState.apply),
        export_progress(StaffReportState),
        data_table(
            [Column(tr(h), k) for h, k in zip(headers, keys, strict=True)],
            StaffReportState.rows,
            table_id="staff-table",
            row_class="staff-row",
            downloads=report_downloads(
                StaffReportState,
                StaffReportState.download("csv"),
                StaffReportState.download("xlsx"),
            ),
        ),
    )
