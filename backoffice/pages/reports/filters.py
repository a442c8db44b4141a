"""What every report page shares: the filter state (range, store within scope, grain,
compare), its form, the export buttons with their progress bar, and the report table."""

from __future__ import annotations

import asyncio
from typing import Any

import reflex as rx

from backoffice.components.tables import Download, download_buttons
from backoffice.db import session_scope
from backoffice.errors import DomainError, ValidationFailed
from backoffice.pages.session import SessionState, SignedOut, tr
from backoffice.services.org.auth import actor_for_token
from backoffice.services.reports.dashboard import (
    ReportFilter,
    default_filter,
    parse_filter,
    store_choices,
)
from backoffice.services.reports.exports import export_report

ALL = "all"


class ReportFilterState(SessionState):
    """The filter every report page shares: range, store, compare, grain."""

    start: str = ""
    end: str = ""
    store: str = ALL
    compare: bool = True
    grain: str = "day"
    store_options: list[list[str]] = []
    filter_error: str = ""
    exporting: bool = False
    export_progress: int = 0

    def _filter(self) -> ReportFilter:
        if not self.start or not self.end:
            f = default_filter(30)
            self.start, self.end = f.start.isoformat(), f.end.isoformat()
        stores = [int(self.store)] if self.store.isdigit() else None
        return parse_filter(self.start, self.end, stores, self.compare, self.grain)

    def _load_choices(self, session: Any, actor: Any) -> None:
        self.store_options = [[str(i), label] for i, label in store_choices(session, actor)]

    def _take_form(self, form: dict[str, Any]) -> None:
        self.start = str(form.get("start", self.start))[:10]
        self.end = str(form.get("end", self.end))[:10]
        self.store = str(form.get("store", self.store) or ALL)[:12]
        grain = str(form.get("grain", self.grain) or "day")
        self.grain = grain if grain in ("day", "week", "month") else "day"

    def _bad_filter(self, exc: ValidationFailed) -> None:
        self.filter_error = "; ".join(self._field_errors(exc).values())

    async def _export(self, kind: str, fmt: str, **options: Any):  # noqa: ANN202
        """Background export with a progress bar; the service checks permission and audits."""
        async with self:
            if self.exporting:
                return
            token, f = self._token(), None
            try:
                f = self._filter()
            except ValidationFailed as exc:
                self._bad_filter(exc)
                return
            self.exporting, self.export_progress = True, 0
        progress = {"done": 0, "total": 1}

        def run() -> Any:
            with session_scope() as session:
                actor = actor_for_token(session, token)
                if actor is None:
                    raise SignedOut
                return export_report(
                    session,
                    actor,
                    kind,
                    f,
                    fmt,
                    progress=lambda done, total: progress.update(done=done, total=max(total, 1)),
                    **options,
                )

        task = asyncio.create_task(asyncio.to_thread(run))
        while not task.done():
            await asyncio.sleep(0.2)
            async with self:
                self.export_progress = min(100, 100 * progress["done"] // progress["total"])
        async with self:
            self.exporting, self.export_progress = False, 100
            try:
                file = task.result()
            except (SignedOut, DomainError) as exc:
                yield self._fail(exc)
                return
            yield rx.toast.success(self._tr("report.exported", rows=file.rows))
        yield rx.download(data=file.data, filename=file.filename)


def _date_inputs(state: type[ReportFilterState]) -> list[rx.Component]:
    return [
        rx.vstack(
            rx.text(tr("report.start"), size="1"),
            rx.input(type="date", name="start", default_value=state.start, id="report-start"),
            spacing="1",
        ),
        rx.vstack(
            rx.text(tr("report.end"), size="1"),
            rx.input(type="date", name="end", default_value=state.end, id="report-end"),
            spacing="1",
        ),
    ]


def _grain_input() -> rx.Component:
    return rx.vstack(
        rx.text(tr("report.grain"), size="1"),
        rx.select.root(
            rx.select.trigger(id="report-grain"),
            rx.select.content(
                *[
                    rx.select.item(tr(f"report.grain.{g}"), value=g)
                    for g in ("day", "week", "month")
                ]
            ),
            name="grain",
            default_value="day",
        ),
        spacing="1",
    )


def _store_input(state: type[ReportFilterState]) -> rx.Component:
    return rx.vstack(
        rx.text(tr("report.store"), size="1"),
        rx.select.root(
            rx.select.trigger(id="report-store", min_width="160px"),
            rx.select.content(
                rx.select.item(tr("report.all_stores"), value=ALL),
                rx.foreach(state.store_options, lambda o: rx.select.item(o[1], value=o[0])),
            ),
            name="store",
            default_value=ALL,
        ),
        spacing="1",
    )


def filter_bar(
    state: type[ReportFilterState],
    on_submit: Any,
    extra: Any = None,
    *,
    dates: bool = True,
    grain: bool = False,
) -> rx.Component:
    """Date range (for period reports), store within scope, grain (charts) and extras.
    RFM and churn describe members as of now, so they show no dates."""
    return rx.form(
        rx.hstack(
            *(_date_inputs(state) if dates else []),
            _store_input(state),
            _grain_input() if grain else rx.fragment(),
            extra or rx.fragment(),
            rx.button(rx.icon("search", size=14), tr("report.apply"), type="submit", id="apply"),
            align="end",
            spacing="3",
            wrap="wrap",
        ),
        rx.cond(
            state.filter_error != "",
            rx.text(state.filter_error, color_scheme="red", size="2", id="filter-error"),
        ),
        on_submit=on_submit,
        reset_on_submit=False,
        width="100%",
    )


def report_downloads(state: type[ReportFilterState], csv: Any, xlsx: Any) -> list[Download]:
    """CSV and Excel buttons for whoever may export reports, off while an export runs."""
    shown = state.perms.contains("reports.export")
    return [
        Download(tr("report.csv"), csv, "file-text", state.exporting, shown),
        Download(tr("report.xlsx"), xlsx, "sheet", state.exporting, shown),
    ]


def export_buttons(state: type[ReportFilterState], csv: Any, xlsx: Any) -> rx.Component:
    return download_buttons(report_downloads(state, csv, xlsx))


def export_progress(state: type[ReportFilterState]) -> rx.Component:
    return rx.cond(
        state.exporting,
        rx.vstack(
            rx.text(tr("report.exporting"), size="1"),
            rx.progress(value=state.export_progress, id="export-progress"),
            width="100%",
        ),
    )


def need_reports(state: SessionState) -> Any:
    if "reports.read" not in state.perms:
        return rx.redirect("/members")
    return None
