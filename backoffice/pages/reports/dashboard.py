"""The dashboard (home page for people who read reports): date range, store filter within
scope, comparison with the previous period, KPI cards and plotly charts, each downloadable
as CSV / Excel (audited exports) and as PNG (plotly's camera button)."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
import reflex as rx

from backoffice.components import report_charts
from backoffice.db import session_scope
from backoffice.errors import DomainError, ValidationFailed
from backoffice.i18n import format_money
from backoffice.pages.layout import shell
from backoffice.pages.reports.filters import (
    ReportFilterState,
    export_buttons,
    export_progress,
    filter_bar,
)
from backoffice.pages.session import SessionState, SignedOut, tr
from backoffice.services.reports.dashboard import (
    Dashboard,
    dashboard,
)

CHARTS = ("members", "sales", "stores", "tiers", "points", "wallet", "coupons", "campaigns")
# Which export holds a chart's data.
CHART_EXPORT = {"stores": "stores", "tiers": "tiers"}


def _pct(value: float) -> str:
    return f"{value * 100:.1f}%"


def _change(now: float, before: float | None, new: str = "new") -> str:
    """Change against the previous period; "new" where there was nothing before."""
    if before is None:
        return ""
    if not before:
        return "—" if not now else new
    return f"{(now - before) / abs(before) * 100:+.1f}%"


class DashboardState(ReportFilterState):
    kpis: list[dict[str, str]] = []
    notes: list[str] = []
    loaded: bool = False
    fig_members: go.Figure = go.Figure()
    fig_sales: go.Figure = go.Figure()
    fig_stores: go.Figure = go.Figure()
    fig_tiers: go.Figure = go.Figure()
    fig_points: go.Figure = go.Figure()
    fig_wallet: go.Figure = go.Figure()
    fig_coupons: go.Figure = go.Figure()
    fig_campaigns: go.Figure = go.Figure()

    def _compute(self) -> Any:
        self.filter_error = ""
        try:
            f = self._filter()
            with session_scope() as session:
                actor = self._actor(session)
                self._load_choices(session, actor)
                board = dashboard(session, actor, f)
        except ValidationFailed as exc:
            self._bad_filter(exc)
            return None
        except (SignedOut, DomainError) as exc:
            return self._fail(exc)
        self._show(board)
        self.loaded = True
        return None

    def _card(self, key: str, value: str, cur: float, prev: float | None, fmt: Any = str) -> None:
        """One KPI card: the figure, the previous period's and the change between them."""
        self.kpis.append(
            {
                "key": key,
                "label": self._tr(f"report.kpi.{key}"),
                "value": value,
                "previous": "" if prev is None else fmt(prev),
                "change": _change(cur, prev, self._tr("report.change_new")),
            }
        )

    def _money(self, cents: Any) -> str:
        return format_money(int(cents), self.lang)

    def _sales_cards(self, b: Dashboard) -> None:
        money = self._money
        now, before = b.kpis, b.previous_kpis
        t, pt = b.totals, b.previous_totals
        act = b.activity
        repeat_rate = act["repeat_buyers"] / act["buyers"] if act["buyers"] else 0.0
        self._card(
            "new_members", f"{t['new_members']:,}", t["new_members"], pt and pt["new_members"]
        )
        self._card(
            "sales_count", f"{t['sales_count']:,}", t["sales_count"], pt and pt["sales_count"]
        )
        self._card(
            "net_sales",
            money(now["net_sales_cents"]),
            now["net_sales_cents"],
            before and before["net_sales_cents"],
            money,
        )
        self._card(
            "avg_ticket",
            money(now["avg_ticket_cents"]),
            now["avg_ticket_cents"],
            before and before["avg_ticket_cents"],
            money,
        )
        self._card(
            "repeat_sale_rate",
            _pct(now["repeat_sale_rate"]),
            now["repeat_sale_rate"],
            before and before["repeat_sale_rate"],
            _pct,
        )
        self._card("active_30", f"{act['active_30']:,}", act["active_30"], None)
        self._card("active_90", f"{act['active_90']:,}", act["active_90"], None)
        self._card("repeat_buyers", _pct(repeat_rate), repeat_rate, None)

    def _points_cards(self, b: Dashboard) -> None:
        now, before = b.kpis, b.previous_kpis
        t, pt = b.totals, b.previous_totals
        self._card(
            "points_issued",
            f"{now['points_issued']:,}",
            now["points_issued"],
            before and before["points_issued"],
        )
        self._card(
            "points_spent", f"{t['points_spent']:,}", t["points_spent"], pt and pt["points_spent"]
        )
        self._card(
            "points_expired",
            f"{t['points_expired']:,}",
            t["points_expired"],
            pt and pt["points_expired"],
        )
        liab, pliab = b.liabilities, b.previous_liabilities
        self._card(
            "points_outstanding",
            f"{liab['points_outstanding']:,}",
            liab["points_outstanding"],
            pliab and pliab["points_outstanding"],
        )

    def _wallet_and_coupon_cards(self, b: Dashboard) -> None:
        money = self._money
        now, before = b.kpis, b.previous_kpis
        t, pt = b.totals, b.previous_totals
        liab, pliab = b.liabilities, b.previous_liabilities
        self._card(
            "wallet_topup",
            money(t["wallet_topup_cents"]),
            t["wallet_topup_cents"],
            pt and pt["wallet_topup_cents"],
            money,
        )
        self._card(
            "wallet_spent",
            money(t["wallet_spent_cents"]),
            t["wallet_spent_cents"],
            pt and pt["wallet_spent_cents"],
            money,
        )
        self._card(
            "wallet_outstanding",
            money(liab["wallet_outstanding_cents"]),
            liab["wallet_outstanding_cents"],
            pliab and pliab["wallet_outstanding_cents"],
            money,
        )
        self._card(
            "coupons_issued",
            f"{t['coupons_issued']:,}",
            t["coupons_issued"],
            pt and pt["coupons_issued"],
        )
        self._card(
            "coupons_used", f"{t['coupons_used']:,}", t["coupons_used"], pt and pt["coupons_used"]
        )
        self._card(
            "coupon_rate",
            _pct(now["coupon_use_rate"]),
            now["coupon_use_rate"],
            before and before["coupon_use_rate"],
            _pct,
        )

    def _campaign_cards(self, b: Dashboard) -> None:
        t = b.totals
        camp, pcamp = b.campaigns, b.previous_campaigns
        self._card(
            "messages_sent",
            f"{camp.messages_sent:,}",
            camp.messages_sent,
            pcamp and pcamp.messages_sent,
        )
        self._card(
            "conversions",
            f"{camp.converted:,} / {camp.entered:,}",
            camp.converted,
            pcamp and pcamp.converted,
        )
        self._card("conversion_rate", _pct(camp.rate), camp.rate, pcamp and pcamp.rate, _pct)
        self._card("member_share", _pct(b.member_sales_share), b.member_sales_share, None)
        self._card(
            "tier_moves",
            f"{t['tier_up']:,} / {t['tier_down']:,}",
            t["tier_up"] - t["tier_down"],
            None,
        )

    def _show(self, b: Dashboard) -> None:
        self.kpis = []
        self._sales_cards(b)
        self._points_cards(b)
        self._wallet_and_coupon_cards(b)
        self._campaign_cards(b)
        self.notes = [self._tr(n) for n in b.notes] + [self._tr("report.note.snapshot")]
        self._charts(b)

    def _charts(self, b: Dashboard) -> None:
        col = lambda k: self._tr(f"report.col.{k}")  # noqa: E731
        prev, prev_label = b.previous_series, self._tr("report.previous")
        s = b.series
        self.fig_members = report_charts.bars(s, ["new_members"], col, prev, prev_label)
        self.fig_sales = report_charts.sales(s, col, prev, prev_label)
        self.fig_stores = report_charts.stores(
            [
                {
                    "name": f"{r.code} {r.name}",
                    "net_cents": r.net_cents,
                    "avg_ticket_cents": r.avg_ticket_cents,
                }
                for r in b.by_store
            ],
            col,
        )
        self.fig_tiers = report_charts.tiers(b.tiers)
        self.fig_points = report_charts.bars(
            s, ["points_earned", "points_spent", "points_expired"], col
        )
        self.fig_wallet = report_charts.bars(
            s, ["wallet_topup_cents", "wallet_spent_cents"], col, scale=100
        )
        self.fig_coupons = report_charts.bars(s, ["coupons_issued", "coupons_used"], col)
        self.fig_campaigns = report_charts.bars(s, ["messages_sent", "tier_up", "tier_down"], col)

    # ---- event handlers ----

    @rx.event
    def open_dashboard(self) -> Any:
        """on_load: people without reports.read go to the members list."""
        if "reports.read" not in self.perms:
            return rx.redirect("/members")
        return self._compute()

    @rx.event
    def apply(self, form: dict[str, Any]) -> Any:
        self._take_form(form)
        return self._compute()

    @rx.event
    def set_compare(self, value: bool) -> Any:
        self.compare = bool(value)
        return self._compute()

    @rx.event(background=True)
    async def download(self, chart: str, fmt: str) -> Any:
        """A chart's data as CSV or Excel (the export the chart draws from)."""
        kind = CHART_EXPORT.get(str(chart), "series")
        async for item in self._export(kind, "xlsx" if fmt == "xlsx" else "csv"):
            yield item


def _kpi(item: rx.Var) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.text(item["label"], size="1", color_scheme="gray"),
            rx.text(item["value"], size="5", weight="bold", class_name="kpi-value"),
            rx.cond(
                item["previous"] != "",
                rx.hstack(
                    rx.text(
                        tr("report.previous"), ": ", item["previous"], size="1", color_scheme="gray"
                    ),
                    rx.badge(item["change"], variant="soft", size="1"),
                    spacing="2",
                ),
            ),
            spacing="1",
        ),
        class_name="kpi",
        id="kpi-" + item["key"].to(str),
    )


def chart_card(chart: str, figure: Any) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading(tr(f"report.chart.{chart}"), size="3"),
                rx.spacer(),
                export_buttons(
                    DashboardState,
                    DashboardState.download(chart, "csv"),
                    DashboardState.download(chart, "xlsx"),
                ),
                width="100%",
                align="center",
            ),
            rx.plotly(
                data=figure,
                config={
                    "displaylogo": False,
                    "responsive": True,
                    "toImageButtonOptions": {"format": "png", "filename": f"chart-{chart}"},
                },
                use_resize_handler=True,
                width="100%",
            ),
            width="100%",
        ),
        class_name="chart-card",
        id=f"chart-{chart}",
        width="100%",
    )


@rx.page(
    route="/reports",
    title="Dashboard · Back-office",
    on_load=[SessionState.require_sign_in, DashboardState.open_dashboard],
)
def dashboard_page() -> rx.Component:
    compare = rx.hstack(
        rx.switch(
            checked=DashboardState.compare, on_change=DashboardState.set_compare, id="compare"
        ),
        rx.text(tr("report.compare"), size="2"),
        align="center",
        spacing="2",
        padding_bottom="6px",
    )
    return shell(
        tr("report.title"),
        filter_bar(DashboardState, DashboardState.apply, compare, grain=True),
        export_progress(DashboardState),
        rx.grid(
            rx.foreach(DashboardState.kpis, _kpi),
            columns=rx.breakpoints(initial="2", sm="3", lg="4"),
            spacing="3",
            width="100%",
            id="kpis",
        ),
        rx.vstack(
            rx.foreach(DashboardState.notes, lambda n: rx.text(n, size="1", color_scheme="gray")),
            rx.text(tr("report.png_hint"), size="1", color_scheme="gray"),
            spacing="0",
        ),
        rx.cond(
            DashboardState.loaded,
            rx.grid(
                chart_card("sales", DashboardState.fig_sales),
                chart_card("members", DashboardState.fig_members),
                chart_card("stores", DashboardState.fig_stores),
                chart_card("tiers", DashboardState.fig_tiers),
                chart_card("points", DashboardState.fig_points),
                chart_card("wallet", DashboardState.fig_wallet),
                chart_card("coupons", DashboardState.fig_coupons),
                chart_card("campaigns", DashboardState.fig_campaigns),
                columns=rx.breakpoints(initial="1", lg="2"),
                spacing="3",
                width="100%",
            ),
        ),
    )
