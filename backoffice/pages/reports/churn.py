"""The churn warning list and its one-click win-back."""

from __future__ import annotations

from typing import Any

import reflex as rx

from backoffice.components.tables import Column, data_table
from backoffice.db import session_scope
from backoffice.errors import DomainError, ValidationFailed
from backoffice.i18n import format_day, format_money
from backoffice.pages.layout import shell
from backoffice.pages.reports.filters import (
    ALL,
    ReportFilterState,
    export_progress,
    filter_bar,
    need_reports,
    report_downloads,
)
from backoffice.pages.session import SessionState, SignedOut, tr
from backoffice.services.reports.churn import ChurnRule, churn_list
from backoffice.workflows.campaigns.from_reports import start_winback, winback_workflows
from backoffice.workflows.campaigns.handoff import submit_runs


class ChurnState(ReportFilterState):
    factor: str = "2"
    rows: list[dict[str, str]] = []
    summary: str = ""
    workflow_options: list[list[str]] = []
    workflow: str = ALL

    def _rule(self) -> ChurnRule:
        try:
            factor = float(self.factor)
        except ValueError as exc:
            raise ValidationFailed({"factor": "error.number"}) from exc
        return ChurnRule(factor=factor).check()

    def _compute(self) -> Any:
        self.filter_error = ""
        try:
            f = self._filter()
            with session_scope() as session:
                actor = self._actor(session)
                self._load_choices(session, actor)
                page = churn_list(session, actor, f.store_ids, self._rule())
                flows = winback_workflows(session, actor)
        except ValidationFailed as exc:
            self._bad_filter(exc)
            return None
        except (SignedOut, DomainError) as exc:
            return self._fail(exc)
        lang = self.lang
        self.summary = self._tr(
            "churn.summary", total=f"{page.total:,}", value=format_money(page.value_cents, lang)
        )
        self.workflow_options = [[str(w.id), w.name] for w in flows]
        self.rows = [
            {
                "id": str(r.member_id),
                "no": r.member_no,
                "name": r.name,
                "store": r.store,
                "last": format_day(r.last_sale_at, lang),
                "since": str(r.days_since),
                "gap": f"{r.usual_gap_days:g}",
                "overdue": f"×{r.overdue_factor:g}",
                "visits": str(r.visits),
                "spend": format_money(r.spend_cents, lang),
            }
            for r in page.rows
        ]
        return None

    @rx.event
    def open_churn(self) -> Any:
        return need_reports(self) or self._compute()

    @rx.event
    def apply(self, form: dict[str, Any]) -> Any:
        self._take_form(form)
        self.factor = str(form.get("factor", self.factor))[:6]
        return self._compute()

    @rx.event
    def set_workflow(self, value: str) -> None:
        self.workflow = str(value)[:12]

    @rx.event
    def winback(self) -> Any:
        """Tag today's list; start the chosen manual workflow for it (the service re-checks
        the workflow and recomputes the list itself)."""
        try:
            f = self._filter()
            with session_scope() as session:
                actor = self._actor(session)
                result = start_winback(
                    session,
                    actor,
                    f.store_ids,
                    self._rule(),
                    int(self.workflow) if self.workflow.isdigit() else None,
                )
        except ValidationFailed as exc:
            return rx.toast.error("; ".join(self._field_errors(exc).values()))
        except (SignedOut, DomainError) as exc:
            return self._fail(exc)
        submit_runs(result.run_ids)
        return rx.toast.success(
            self._tr(
                "churn.started", members=result.members, tag=result.tag, runs=len(result.run_ids)
            )
        )

    @rx.event(background=True)
    async def download(self, fmt: str) -> Any:
        async with self:
            try:
                rule = self._rule()
            except ValidationFailed as exc:
                self._bad_filter(exc)
                return
        async for item in self._export("churn", "xlsx" if fmt == "xlsx" else "csv", churn=rule):
            yield item


@rx.page(
    route="/reports/churn",
    title="Churn warning · Back-office",
    on_load=[SessionState.require_sign_in, ChurnState.open_churn],
)
def churn_page() -> rx.Component:
    factor = rx.vstack(
        rx.text(tr("churn.factor"), size="1"),
        rx.input(name="factor", default_value=ChurnState.factor, width="80px", id="churn-factor"),
        spacing="1",
    )
    winback = rx.cond(
        ChurnState.perms.contains("members.write"),
        rx.hstack(
            rx.select.root(
                rx.select.trigger(placeholder=tr("churn.workflow"), id="winback-workflow"),
                rx.select.content(
                    rx.select.item(tr("churn.tag_only"), value=ALL),
                    rx.foreach(
                        ChurnState.workflow_options, lambda o: rx.select.item(o[1], value=o[0])
                    ),
                ),
                value=ChurnState.workflow,
                on_change=ChurnState.set_workflow,
            ),
            rx.button(
                rx.icon("heart-handshake", size=14),
                tr("churn.winback"),
                on_click=ChurnState.winback,
                id="winback",
            ),
            spacing="2",
        ),
    )
    return shell(
        tr("churn.title"),
        filter_bar(ChurnState, ChurnState.apply, factor, dates=False),
        rx.text(tr("churn.help"), size="1", color_scheme="gray"),
        export_progress(ChurnState),
        data_table(
            [
                Column(
                    tr("report.col.member_no"),
                    cell=lambda r: rx.link(r["no"], href="/member?id=" + r["id"]),
                ),
                Column(tr("report.col.name"), "name"),
                Column(tr("report.col.store"), "store"),
                Column(tr("report.col.last_sale"), "last"),
                Column(tr("report.col.days_since"), "since"),
                Column(tr("report.col.usual_gap_days"), "gap"),
                Column(tr("churn.overdue"), "overdue"),
                Column(tr("report.col.visits"), "visits"),
                Column(tr("report.col.spend_cents"), "spend"),
            ],
            ChurnState.rows,
            table_id="churn-table",
            row_class="churn-row",
            caption=rx.text(ChurnState.summary, weight="medium", id="churn-summary"),
            actions=[winback],
            downloads=report_downloads(
                ChurnState, ChurnState.download("csv"), ChurnState.download("xlsx")
            ),
        ),
    )
