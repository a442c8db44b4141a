"""Report exports to CSV or Excel: permission-checked (reports.export) and audited.

Each report is a table (headers from the catalog in the person's language, money in yuan as
numbers), written to CSV (UTF-8 with BOM, so Excel opens Chinese text) or to .xlsx with
openpyxl's write-only workbook (constant memory for long lists).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlmodel import Session

from backoffice.errors import ValidationFailed
from backoffice.i18n import t
from backoffice.services.org import audit
from backoffice.services.org.access import Actor, require
from backoffice.services.reports.churn import ChurnRule, churn_list
from backoffice.services.reports.dashboard import ReportFilter, dashboard, report_stores
from backoffice.services.reports.rfm import RfmThresholds, rfm_groups, rfm_members
from backoffice.services.reports.store_staff import staff_performance, store_comparison
from backoffice.services.spreadsheet_cells import safe_row

KINDS = ("series", "stores", "tiers", "staff", "rfm", "rfm_members", "churn")
FORMATS = ("csv", "xlsx")
Progress = Callable[[int, int], None]


@dataclass
class ExportFile:
    data: bytes
    filename: str
    rows: int


def _yuan(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(Decimal("0.01"))


Table = tuple[list[str], Iterable[list[Any]]]


def _dashboard_table(session: Session, actor: Actor, kind: str, f: ReportFilter) -> Table:
    """The series by period, or the tiers, as the dashboard shows them (no comparison)."""
    board = dashboard(session, actor, ReportFilter(f.start, f.end, f.store_ids, False, f.grain))
    if kind == "tiers":
        return ["tier", "members"], [[r["tier"], r["members"]] for r in board.tiers]
    keys = [
        "period",
        "new_members",
        "sales_count",
        "sales_due_cents",
        "refund_cents",
        "points_earned",
        "points_spent",
        "points_expired",
        "wallet_topup_cents",
        "wallet_spent_cents",
        "coupons_issued",
        "coupons_used",
        "messages_sent",
        "tier_up",
        "tier_down",
    ]
    return keys, [
        [_yuan(p[k]) if k.endswith("_cents") else p[k] for k in keys] for p in board.series
    ]


def _stores_table(session: Session, actor: Actor, f: ReportFilter) -> Table:
    rows = store_comparison(session, actor, f)
    return (
        [
            "store",
            "sales_count",
            "net_cents",
            "avg_ticket_cents",
            "previous_net_cents",
            "new_members",
            "active_90",
            "wallet_topup_cents",
            "coupons_used",
        ],
        [
            [
                f"{r.code} {r.name}",
                r.sales_count,
                _yuan(r.net_cents),
                _yuan(r.avg_ticket_cents),
                _yuan(r.previous_net_cents),
                r.new_members,
                r.active_90,
                _yuan(r.topup_cents),
                r.coupons_used,
            ]
            for r in rows
        ],
    )


def _staff_table(session: Session, actor: Actor, f: ReportFilter) -> Table:
    return (
        ["staff", "sales_count", "sales_due_cents", "avg_ticket_cents", "members_created"],
        [
            [
                f"{r.display_name} ({r.username})",
                r.sales_count,
                _yuan(r.sales_cents),
                _yuan(r.avg_ticket_cents),
                r.members_created,
            ]
            for r in staff_performance(session, actor, f)
        ],
    )


def _rfm_table(session: Session, actor: Actor, f: ReportFilter, rfm: RfmThresholds | None) -> Table:
    thresholds = rfm or RfmThresholds(30, 2, 0)
    return (
        ["group", "members", "spend_cents", "avg_spend_cents", "recency_days", "frequency"],
        [
            [
                t(actor.locale, f"rfm.group.{g.key}"),
                g.members,
                _yuan(g.spend_cents),
                _yuan(g.avg_spend_cents),
                g.avg_recency_days,
                g.avg_frequency,
            ]
            for g in rfm_groups(session, actor, f.store_ids, thresholds)
        ],
    )


def _rfm_members_table(
    session: Session, actor: Actor, f: ReportFilter, rfm: RfmThresholds | None, group: str
) -> Table:
    members = rfm_members(
        session, actor, f.store_ids, rfm or RfmThresholds(30, 2, 0), group, limit=None
    )
    return (
        ["member_no", "name", "store", "recency_days", "frequency", "spend_cents"],
        [
            [m.member_no, m.name, m.store, m.recency_days, m.frequency, _yuan(m.spend_cents)]
            for m in members
        ],
    )


def _churn_table(session: Session, actor: Actor, f: ReportFilter, churn: ChurnRule | None) -> Table:
    page = churn_list(session, actor, f.store_ids, churn or ChurnRule(), limit=None)
    return (
        [
            "member_no",
            "name",
            "store",
            "last_sale",
            "days_since",
            "usual_gap_days",
            "visits",
            "spend_cents",
        ],
        [
            [
                r.member_no,
                r.name,
                r.store,
                r.last_sale_at.date().isoformat(),
                r.days_since,
                r.usual_gap_days,
                r.visits,
                _yuan(r.spend_cents),
            ]
            for r in page.rows
        ],
    )


def _table(
    session: Session,
    actor: Actor,
    kind: str,
    f: ReportFilter,
    rfm: RfmThresholds | None,
    group: str,
    churn: ChurnRule | None,
) -> Table:
    """(header keys, rows) of one report."""
    if kind in ("series", "tiers"):
        return _dashboard_table(session, actor, kind, f)
    if kind == "stores":
        return _stores_table(session, actor, f)
    if kind == "staff":
        return _staff_table(session, actor, f)
    if kind == "rfm":
        return _rfm_table(session, actor, f, rfm)
    if kind == "rfm_members":
        return _rfm_members_table(session, actor, f, rfm, group)
    return _churn_table(session, actor, f, churn)


def export_report(
    session: Session,
    actor: Actor,
    kind: str,
    f: ReportFilter,
    fmt: str = "csv",
    *,
    rfm: RfmThresholds | None = None,
    group: str = "",
    churn: ChurnRule | None = None,
    progress: Progress | None = None,
) -> ExportFile:
    """One report as a file; the audit entry names the report, range, stores and row count."""
    require(actor, "reports.export")
    if kind not in KINDS:
        raise ValidationFailed({"kind": "error.choice"})
    if fmt not in FORMATS:
        raise ValidationFailed({"format": "error.choice"})
    stores = report_stores(session, actor, f.store_ids)
    keys, rows = _table(session, actor, kind, f, rfm, group, churn)
    rows = list(rows)
    headers = [t(actor.locale, f"report.col.{k}") for k in keys]
    data = _xlsx(headers, rows, kind, progress) if fmt == "xlsx" else _csv(headers, rows, progress)
    audit.record(
        session,
        actor,
        "reports.export",
        target_type="report",
        target_id=kind,
        changes={
            "format": fmt,
            "rows": len(rows),
            "start": f.start.isoformat(),
            "end": f.end.isoformat(),
            "stores": "all" if stores is None else stores,
            **({"group": group} if group else {}),
        },
    )
    name = f"{kind}_{f.start.isoformat()}_{f.end.isoformat()}.{fmt}"
    return ExportFile(data=data, filename=name, rows=len(rows))


def _csv(headers: list[str], rows: list[list[Any]], progress: Progress | None) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(safe_row(headers))
    for i, row in enumerate(rows, 1):
        writer.writerow(safe_row(row))
        if progress and i % 5000 == 0:
            progress(i, len(rows))
    if progress:
        progress(len(rows), len(rows))
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _xlsx(
    headers: list[str], rows: list[list[Any]], title: str, progress: Progress | None
) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=title[:31])
    sheet.append(safe_row(headers))
    for i, row in enumerate(rows, 1):
        sheet.append(safe_row(float(v) if isinstance(v, Decimal) else v for v in row))
        if progress and i % 5000 == 0:
            progress(i, len(rows))
    buffer = io.BytesIO()
    book.save(buffer)
    if progress:
        progress(len(rows), len(rows))
    return buffer.getvalue()
