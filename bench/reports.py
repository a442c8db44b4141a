"""Benchmark: the dashboard over 1,000,000 members and 10,000,000 sales on SQLite.

Target (issue #7): the dashboard's figures for a 90-day range compute in < 2 s. The data:
members from bench/member_search's generator (three stores), 10M sales over two years
bulk-inserted, then `rebuild_daily_stats` (the backfill command's code) fills the report
tables from those rows; the dashboard is then timed for HQ and for the franchise owner.

    .venv/bin/python bench/reports.py [--members 1000000] [--sales 10000000] [--reuse]
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rich.console import Console  # noqa: E402
from rich.progress import (  # noqa: E402
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table  # noqa: E402
from sqlmodel import Session, select  # noqa: E402

from backoffice.db import make_engine  # noqa: E402
from backoffice.models import Staff  # noqa: E402
from backoffice.services.org.access import load_actor  # noqa: E402
from backoffice.services.reports.dashboard import ReportFilter, dashboard, default_filter  # noqa: E402
from backoffice.services.reports.rebuild import rebuild_daily_stats  # noqa: E402
from bench.member_search import generate  # noqa: E402

console = Console()
DAYS = 730
BATCH = 200_000


def add_sales(db: Path, members: int, sales: int, stores: dict[str, int]) -> float:
    """Bulk-insert sales: each at the member's home store, spread over two years."""
    store_ids = [stores["SH01"], stores["BJ01"], stores["GZ01"]]
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA cache_size=-800000")
    staff = [r[0] for r in conn.execute("SELECT id FROM staff").fetchall()]
    rng = random.Random(7)
    now = datetime.now(UTC).replace(tzinfo=None)
    start = time.perf_counter()
    sql = (
        "INSERT INTO sale (member_id, store_id, staff_id, items, gross_cents, tier_discount_cents, "
        "coupon_discount_cents, due_cents, points_used, points_cash_cents, "
        "wallet_principal_cents, wallet_bonus_cents, paid_cents, pay_method, points_earned, "
        "refunded_cents, status, created_at) "
        "VALUES (?, ?, ?, '[]', ?4, 0, 0, ?4, 0, 0, 0, 0, ?4, 'cash', 0, 0, 'COMPLETED', ?5)"
    )
    with Progress(
        TextColumn("Generating sales"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as bar:
        task = bar.add_task("sales", total=sales)
        conn.execute("BEGIN")
        rows = []
        for i in range(sales):
            member = rng.randint(1, members)
            when = now - timedelta(seconds=rng.randint(0, DAYS * 86400))
            rows.append(
                (
                    member,
                    store_ids[(member - 1) % 3],
                    rng.choice(staff),
                    rng.randint(1_000, 100_000),
                    when.isoformat(sep=" "),
                )
            )
            if len(rows) == BATCH:
                conn.executemany(sql, rows)
                rows.clear()
                bar.update(task, completed=i + 1)
        conn.executemany(sql, rows)
        conn.execute("COMMIT")
        bar.update(task, completed=sales)
    conn.execute("ANALYZE")
    conn.close()
    return time.perf_counter() - start


def rebuild(db: Path) -> float:
    engine = make_engine(f"sqlite:///{db}")
    start = time.perf_counter()
    with (
        Session(engine) as session,
        Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
        ) as bar,
    ):
        task = bar.add_task("Rebuilding report tables", total=9)

        def progress(step: str, done: int, total: int) -> None:
            bar.update(task, description=f"Rebuilding: {step}", completed=done, total=total)

        counts = rebuild_daily_stats(session, progress)
        session.commit()
    engine.dispose()
    console.print(f"report tables: {counts}")
    return time.perf_counter() - start


def measure(db: Path, repeats: int) -> None:
    engine = make_engine(f"sqlite:///{db}")
    today = default_filter(1).end
    f = ReportFilter(today - timedelta(days=89), today, compare=True)
    table = Table(title="Dashboard, 90 days + previous 90 days")
    for column in ("who", "median s", "max s", "sales", "net ¥", "avg ticket ¥", "active 30d"):
        table.add_column(column)
    with Session(engine) as session:
        for username in ("admin", "owner"):
            actor = load_actor(
                session, session.exec(select(Staff).where(Staff.username == username)).one()
            )
            times = []
            for _ in range(repeats):
                t0 = time.perf_counter()
                board = dashboard(session, actor, f)
                times.append(time.perf_counter() - t0)
            table.add_row(
                username,
                f"{statistics.median(times):.3f}",
                f"{max(times):.3f}",
                f"{board.totals['sales_count']:,}",
                f"{board.kpis['net_sales_cents'] / 100:,.0f}",
                f"{board.kpis['avg_ticket_cents'] / 100:,.2f}",
                f"{board.activity['active_30']:,}",
            )
            console.print(
                f"[dim]{username}: previous period sales "
                f"{(board.previous_totals or {}).get('sales_count', 0):,}; "
                f"buyers {board.activity['buyers']:,}, repeat buyers "
                f"{board.activity['repeat_buyers']:,}; tiers {board.tiers}[/dim]"
            )
    console.print(table)
    console.print("[target: < 2 s per dashboard]")
    engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--sales", type=int, default=10_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--reuse", action="store_true", help="time an existing database")
    parser.add_argument(
        "--db", type=Path, default=Path(__file__).resolve().parent / "out" / "reports.db"
    )
    args = parser.parse_args()
    args.db.parent.mkdir(parents=True, exist_ok=True)
    if not args.reuse:
        gen_members, stores = generate(args.db, args.members)
        gen_sales = add_sales(args.db, args.members, args.sales, stores)
        console.print(
            f"data: {args.members:,} members ({gen_members:.0f} s), "
            f"{args.sales:,} sales ({gen_sales:.0f} s)"
        )
        console.print(f"rebuild_daily_stats: {rebuild(args.db):.0f} s")
    measure(args.db, args.repeats)
    return 0


if __name__ == "__main__":
    sys.exit(main())
