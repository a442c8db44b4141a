"""Benchmark: the nightly loyalty run over 1,000,000 members and 10,000,000 points entries.

Target (issue #4): expiry + expiring notices + coupon expiry + tier downgrades finish in
< 2 minutes on this 2-core machine (SQLite). The data: members from bench/member_search's
generator, 10 points lots per member spread over 24 months (about 1 in 12 due to expire),
30 % of members in Silver/Gold with a year of sales behind them.

    .venv/bin/python bench/nightly.py [--members 1000000] [--entries-per-member 10]
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rich.console import Console  # noqa: E402
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn  # noqa: E402
from sqlmodel import Session, select  # noqa: E402

from backoffice.db import make_engine  # noqa: E402
from backoffice.demo import admin_actor  # noqa: E402
from backoffice.models import Tier  # noqa: E402
from backoffice.services.loyalty.nightly import run_nightly  # noqa: E402
from bench.member_search import generate  # noqa: E402
from tests.unit.loyalty_fixtures import setup_programme  # noqa: E402

console = Console()


def _month_end_after(earned: datetime, months: int) -> datetime:
    index = earned.month - 1 + months
    year, month = earned.year + index // 12, index % 12 + 1
    first_next = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=UTC)
    return first_next - timedelta(seconds=1)


def month_end_night(today: datetime) -> datetime:
    """The coming month end, one minute past its last second: the busiest expiry night."""
    first_next = datetime(today.year + (today.month == 12), today.month % 12 + 1, 1, tzinfo=UTC)
    return first_next + timedelta(minutes=1)


def _ts(value: datetime) -> str:
    return value.replace(tzinfo=None).isoformat(sep=" ")


def add_ledgers(db: Path, members: int, per_member: int, now: datetime) -> float:
    engine = make_engine(f"sqlite:///{db}")
    with Session(engine) as session:
        setup_programme(session, admin_actor(session))
        session.commit()
        tiers = {t.code: t.id for t in session.exec(select(Tier)).all()}
    engine.dispose()
    rng = random.Random(5)
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA cache_size=-800000")
    start = time.perf_counter()
    total = members * per_member
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as bar:
        task = bar.add_task("Generating points ledger", total=total)
        conn.execute("BEGIN")
        rows, accounts, sales, tiered = [], [], [], []
        for member_id in range(1, members + 1):
            balance = 0
            for k in range(per_member):
                earned = now - timedelta(days=rng.randint(1, 730))
                expires = _month_end_after(earned, 12)
                amount = rng.randint(10, 500)
                # Steady state: lots whose date passed on earlier nights are already spent;
                # tonight (a month end) the lots earned 12 months ago fall due (~1 in 24).
                remaining = amount if expires >= now - timedelta(days=1) else 0
                balance += remaining
                rows.append(
                    (
                        member_id,
                        "EARN",
                        amount,
                        balance,
                        "sale",
                        str(k),
                        _ts(expires),
                        remaining,
                        0,
                        _ts(earned),
                    )
                )
            accounts.append((member_id, balance))
            if member_id % 10 < 3:
                tier = tiers["SILVER"] if member_id % 10 < 2 else tiers["GOLD"]
                since = now - timedelta(days=400)
                tiered.append((tier, _ts(since), member_id))
                for _ in range(3):
                    sales.append(
                        (
                            member_id,
                            2,
                            rng.randint(10_000, 200_000),
                            _ts(now - timedelta(days=rng.randint(0, 364))),
                        )
                    )
            if len(rows) >= 200_000:
                _flush(conn, rows, accounts, sales, tiered)
                bar.update(task, completed=member_id * per_member)
        _flush(conn, rows, accounts, sales, tiered)
        conn.execute("COMMIT")
        bar.update(task, completed=total)
    conn.execute("ANALYZE")
    conn.close()
    return time.perf_counter() - start


def _flush(conn: sqlite3.Connection, rows: list, accounts: list, sales: list, tiered: list) -> None:
    conn.executemany(
        "INSERT INTO pointsentry (member_id, kind, delta, balance_after, cause_type, cause_id, "
        "expires_at, remaining, notified_expiring, created_at, note) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,'')",
        rows,
    )
    conn.executemany("INSERT INTO pointsaccount (member_id, balance) VALUES (?,?)", accounts)
    conn.executemany(
        "INSERT INTO sale (member_id, store_id, items, gross_cents, tier_discount_cents, "
        "coupon_discount_cents, due_cents, points_used, points_cash_cents, "
        "wallet_principal_cents, wallet_bonus_cents, paid_cents, pay_method, points_earned, "
        "refunded_cents, status, created_at) "
        "VALUES (?, ?, '[]', ?3, 0, 0, ?3, 0, 0, 0, 0, ?3, 'cash', 0, 0, 'COMPLETED', ?4)",
        sales,
    )
    conn.executemany("UPDATE member SET tier_id = ?, tier_since = ? WHERE id = ?", tiered)
    for batch in (rows, accounts, sales, tiered):
        batch.clear()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--entries-per-member", type=int, default=10)
    parser.add_argument(
        "--db", type=Path, default=Path(__file__).resolve().parent / "out" / "nightly.db"
    )
    args = parser.parse_args()
    args.db.parent.mkdir(parents=True, exist_ok=True)
    now = month_end_night(datetime.now(UTC))
    gen_members, _stores = generate(args.db, args.members)
    gen_ledger = add_ledgers(args.db, args.members, args.entries_per_member, now)
    console.print(
        f"data: {args.members:,} members ({gen_members:.0f} s), "
        f"{args.members * args.entries_per_member:,} points entries + sales "
        f"({gen_ledger:.0f} s)"
    )
    engine = make_engine(f"sqlite:///{args.db}")
    with Session(engine) as session:
        t0 = time.perf_counter()
        report = run_nightly(session, now)
        session.commit()
        elapsed = time.perf_counter() - t0
    console.print(f"nightly run: {elapsed:.1f} s  [target < 120 s]")
    console.print(f"  {report}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
