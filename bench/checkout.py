"""Benchmark: recording a sale with everything applied (issue #4).

Targets: record_sale (service call + commit, one transaction) with tier discount, a coupon,
points as cash and stored value has a median < 10 ms on SQLite; 10,000 sales in a row
stay flat (the last thousand are not slower than the first).

    .venv/bin/python bench/checkout.py [--sales 10000]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rich.console import Console  # noqa: E402
from rich.progress import Progress  # noqa: E402
from sqlmodel import Session  # noqa: E402

from backoffice.db import make_engine  # noqa: E402
from backoffice.demo import admin_actor, seed_org  # noqa: E402
from backoffice.migrate import upgrade  # noqa: E402
from backoffice.models import CouponTemplate, PointsKind  # noqa: E402
from backoffice.services.loyalty import (
    points,  # noqa: E402
    wallet,  # noqa: E402
)
from backoffice.services.loyalty.coupons import grant_coupon  # noqa: E402
from backoffice.services.loyalty.sales import SaleInput, SaleItem, record_sale  # noqa: E402
from tests.unit.loyalty_fixtures import new_member, setup_programme  # noqa: E402

console = Console()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sales", type=int, default=10_000)
    parser.add_argument("--members", type=int, default=200)
    args = parser.parse_args()
    db = Path(tempfile.mkdtemp()) / "checkout.db"
    engine = make_engine(f"sqlite:///{db}")
    upgrade(engine)
    with Session(engine, expire_on_commit=False) as session:
        stores = seed_org(session)
        admin = admin_actor(session)
        programme = setup_programme(session, admin)
        members = [
            new_member(session, admin, stores["SH01"], f"139{i:08d}").id
            for i in range(args.members)
        ]
        for member_id in members:
            wallet.top_up(session, admin, stores["SH01"], 10_000_000, member_id=member_id)
            points.credit(session, member_id, 10_000_000, PointsKind.ADJUST, cause_type="staff")
        session.commit()
        template = session.get(CouponTemplate, programme["percent"].id)
        timings: list[float] = []
        with Progress(console=console) as bar:
            task = bar.add_task("Recording sales", total=args.sales)
            for i in range(args.sales):
                member_id = members[i % len(members)]
                coupon = grant_coupon(session, template, member_id, source="bench", actor_id=None)
                session.commit()
                data = SaleInput(
                    member_id=member_id,
                    store_id=stores["SH01"],
                    items=[
                        SaleItem(name="护理", category="护肤", qty=1, unit_cents=50_000),
                        SaleItem(name="洗发水", qty=2, unit_cents=8_800),
                    ],
                    coupon_id=coupon.id,
                    points_to_use=2_000,
                    wallet_cents=10_000,
                    request_id=f"bench-{i}",
                )
                t0 = time.perf_counter()
                record_sale(session, admin, data)
                session.commit()
                timings.append((time.perf_counter() - t0) * 1000)
                bar.advance(task)
    first, last = timings[:1000], timings[-1000:]
    console.print(
        f"record_sale over {args.sales:,} sales (SQLite, tier discount + coupon + "
        f"points + stored value + earn + tier check + audit):"
    )
    console.print(
        f"  median {statistics.median(timings):.2f} ms   p95 "
        f"{statistics.quantiles(timings, n=20)[18]:.2f} ms   [target median < 10 ms]"
    )
    console.print(
        f"  first 1,000 median {statistics.median(first):.2f} ms, last 1,000 median "
        f"{statistics.median(last):.2f} ms   [target: flat]"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
