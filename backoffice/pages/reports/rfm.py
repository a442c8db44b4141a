"""RFM groups of the members in view, and saving a group as a live campaign segment."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
import reflex as rx

from backoffice.components import report_charts
from backoffice.components.dialogs import confirm_dialog
from backoffice.components.tables import Column, data_table
from backoffice.db import session_scope
from backoffice.errors import DomainError, ValidationFailed
from backoffice.i18n import format_money
from backoffice.money import parse_int, parse_yuan
from backoffice.pages.layout import shell
from backoffice.pages.reports.filters import (
    ReportFilterState,
    export_progress,
    filter_bar,
    need_reports,
    report_downloads,
)
from backoffice.pages.session import SessionState, SignedOut, tr
from backoffice.services.reports.rfm import (
    GROUP_KEYS,
    RfmThresholds,
    default_thresholds,
    rfm_groups,
    rfm_members,
)
from backoffice.workflows.campaigns.from_reports import save_group_segment


class RfmState(ReportFilterState):
    recency_days: str = ""
    frequency: str = ""
    monetary: str = ""  # yuan
    groups: list[dict[str, str]] = []
    fig: go.Figure = go.Figure()
    selected: str = ""
    members: list[dict[str, str]] = []
    save_open: bool = False
    save_error: str = ""

    def _thresholds(self) -> RfmThresholds:
        return RfmThresholds(
            recency_days=parse_int(self.recency_days, "recency_days"),
            frequency=parse_int(self.frequency, "frequency"),
            monetary_cents=parse_yuan(self.monetary, "monetary", allow_zero=True),
        ).check()

    def _compute(self, defaults: bool = False) -> Any:
        self.filter_error = ""
        try:
            f = self._filter()
            with session_scope() as session:
                actor = self._actor(session)
                self._load_choices(session, actor)
                if defaults or not self.recency_days:
                    t = default_thresholds(session, actor, f.store_ids)
                    self.recency_days, self.frequency = str(t.recency_days), str(t.frequency)
                    self.monetary = f"{t.monetary_cents / 100:.2f}"
                t = self._thresholds()
                groups = rfm_groups(session, actor, f.store_ids, t)
                members = (
                    rfm_members(session, actor, f.store_ids, t, self.selected)
                    if self.selected
                    else []
                )
        except ValidationFailed as exc:
            self._bad_filter(exc)
            return None
        except (SignedOut, DomainError) as exc:
            return self._fail(exc)
        lang = self.lang
        self.groups = [
            {
                "key": g.key,
                "label": self._tr(f"rfm.group.{g.key}"),
                "members": f"{g.members:,}",
                "spend": format_money(g.spend_cents, lang),
                "avg_spend": format_money(g.avg_spend_cents, lang),
                "recency": f"{g.avg_recency_days:g}",
                "frequency": f"{g.avg_frequency:g}",
            }
            for g in groups
        ]
        self.fig = report_charts.groups(
            [{"label": self._tr(f"rfm.group.{g.key}"), "members": g.members} for g in groups],
            "members",
            self._tr("report.col.members"),
        )
        self.members = [
            {
                "id": str(m.member_id),
                "no": m.member_no,
                "name": m.name,
                "store": m.store,
                "recency": str(m.recency_days),
                "frequency": str(m.frequency),
                "spend": format_money(m.spend_cents, lang),
            }
            for m in members
        ]
        return None

    @rx.event
    def open_rfm(self) -> Any:
        return need_reports(self) or self._compute()

    @rx.event
    def apply(self, form: dict[str, Any]) -> Any:
        self._take_form(form)
        self.recency_days = str(form.get("recency_days", self.recency_days))[:6]
        self.frequency = str(form.get("frequency", self.frequency))[:6]
        self.monetary = str(form.get("monetary", self.monetary))[:12]
        return self._compute()

    @rx.event
    def use_defaults(self) -> Any:
        return self._compute(defaults=True)

    @rx.event
    def show_group(self, group: str) -> Any:
        self.selected = group if group in GROUP_KEYS else ""
        return self._compute()

    @rx.event
    def open_save(self, group: str) -> None:
        self.selected = group if group in GROUP_KEYS else ""
        self.save_open, self.save_error = bool(self.selected), ""

    @rx.event
    def close_save(self) -> None:
        self.save_open = False

    @rx.event
    def save_segment(self, form: dict[str, Any]) -> Any:
        """Save the selected group with the current thresholds as a workflow segment."""
        name = str(form.get("name", "")).strip()[:100]
        try:
            f = self._filter()
            with session_scope() as session:
                actor = self._actor(session)
                segment = save_group_segment(
                    session, actor, f.store_ids, self._thresholds(), self.selected, name
                )
                saved = segment.name
        except ValidationFailed as exc:
            self.save_error = "; ".join(self._field_errors(exc).values())
            return None
        except (SignedOut, DomainError) as exc:
            return self._fail(exc)
        self.save_open = False
        return rx.toast.success(self._tr("rfm.saved", name=saved))

    @rx.event(background=True)
    async def download(self, what: str, fmt: str) -> Any:
        async with self:
            options: dict[str, Any] = {}
            try:
                options["rfm"] = self._thresholds()
            except ValidationFailed as exc:
                self._bad_filter(exc)
                return
            kind = "rfm_members" if what == "members" and self.selected else "rfm"
            if kind == "rfm_members":
                options["group"] = self.selected
        async for item in self._export(kind, "xlsx" if fmt == "xlsx" else "csv", **options):
            yield item


def _group_actions(g: rx.Var) -> rx.Component:
    return rx.hstack(
        rx.button(
            tr("rfm.show_members"),
            size="1",
            variant="soft",
            on_click=RfmState.show_group(g["key"]),
        ),
        rx.cond(
            RfmState.perms.contains("workflows.design"),
            rx.button(
                tr("rfm.save_segment"),
                size="1",
                on_click=RfmState.open_save(g["key"]),
                class_name="save-segment",
            ),
        ),
        spacing="1",
    )


def group_table() -> rx.Component:
    return data_table(
        [
            Column(tr("report.col.group"), cell=lambda g: rx.text(g["label"], weight="medium")),
            Column(tr("report.col.members"), "members"),
            Column(tr("report.col.spend_cents"), "spend"),
            Column(tr("report.col.avg_spend_cents"), "avg_spend"),
            Column(tr("report.col.recency_days"), "recency"),
            Column(tr("report.col.frequency"), "frequency"),
            Column(tr("common.actions"), cell=_group_actions),
        ],
        RfmState.groups,
        table_id="rfm-table",
        row_class="rfm-row",
        downloads=report_downloads(
            RfmState, RfmState.download("groups", "csv"), RfmState.download("groups", "xlsx")
        ),
    )


def member_table() -> rx.Component:
    return data_table(
        [
            Column(
                tr("report.col.member_no"),
                cell=lambda m: rx.link(m["no"], href="/member?id=" + m["id"]),
            ),
            Column(tr("report.col.name"), "name"),
            Column(tr("report.col.store"), "store"),
            Column(tr("report.col.recency_days"), "recency"),
            Column(tr("report.col.frequency"), "frequency"),
            Column(tr("report.col.spend_cents"), "spend"),
        ],
        RfmState.members,
        table_id="rfm-members",
        caption=rx.heading(tr("rfm.members_of"), size="3"),
        downloads=report_downloads(
            RfmState, RfmState.download("members", "csv"), RfmState.download("members", "xlsx")
        ),
    )


def _save_dialog() -> rx.Component:
    return confirm_dialog(
        tr("rfm.save_segment"),
        rx.input(name="name", placeholder=tr("rfm.segment_name"), id="segment-name"),
        rx.cond(
            RfmState.save_error != "",
            rx.text(RfmState.save_error, color_scheme="red", size="1"),
        ),
        confirm_label=tr("common.confirm"),
        cancel_label=tr("common.cancel"),
        on_confirm=RfmState.save_segment,
        on_cancel=RfmState.close_save,
        form=True,
        open=RfmState.save_open,
        confirm_id="segment-confirm",
    )


@rx.page(
    route="/reports/rfm",
    title="RFM · Back-office",
    on_load=[SessionState.require_sign_in, RfmState.open_rfm],
)
def rfm_page() -> rx.Component:
    thresholds = rx.hstack(
        *[
            rx.vstack(
                rx.text(tr(f"rfm.{key}"), size="1"),
                rx.input(name=key, default_value=var, key=var, width="120px", id=f"rfm-{key}"),
                spacing="1",
            )
            for key, var in (
                ("recency_days", RfmState.recency_days),
                ("frequency", RfmState.frequency),
                ("monetary", RfmState.monetary),
            )
        ],
        rx.button(
            tr("rfm.defaults"), type="button", variant="soft", on_click=RfmState.use_defaults
        ),
        align="end",
        spacing="2",
    )
    return shell(
        tr("rfm.title"),
        filter_bar(RfmState, RfmState.apply, thresholds, dates=False),
        rx.text(tr("rfm.help"), size="1", color_scheme="gray"),
        export_progress(RfmState),
        group_table(),
        rx.plotly(data=RfmState.fig, config={"displaylogo": False}, width="100%", id="rfm-chart"),
        rx.cond(
            RfmState.selected != "",
            rx.vstack(member_table(), width="100%"),
        ),
        _save_dialog(),
    )
