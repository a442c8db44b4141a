"""Benchmark: member list search over 1,000,000 generated members on SQLite.

Targets (issue #3): the generator inserts 1M members in < 60 s; a member-list query
(search, filters, one page, total count) has a median < 50 ms with the default indexes.
Queries go through services.members.search_members, the same path the page uses.

    .venv/bin/python bench/member_search.py [--members 1000000] [--db bench/out/members.db]
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rich.console import Console  # noqa: E402
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn  # noqa: E402
from rich.table import Table  # noqa: E402
from sqlmodel import Session, select  # noqa: E402

from backoffice.db import make_engine  # noqa: E402
from backoffice.demo import GIVEN, SURNAMES, seed_org  # noqa: E402
from backoffice.migrate import upgrade  # noqa: E402
from backoffice.models import Member, Staff  # noqa: E402
from backoffice.services.members.search import MemberQuery, members_after, search_members  # noqa: E402
from backoffice.services.org.access import load_actor  # noqa: E402

console = Console()
BATCH = 20_000
PREFIXES = ["138", "139", "150", "151", "186", "187", "135", "136", "158", "177"]
SKIN = ["干性", "油性", "混合", "敏感"]
TAGS = ["新客", "老客", "高消费", "学生", "企业客户"]


# SQLModel stores enums by member name (ACTIVE, FEMALE), so the raw insert does too.
def generate(db_path: Path, members: int) -> tuple[float, dict[str, int]]:
    """Migrate, create the demo org through the services, then bulk-insert members."""
    if db_path.exists():
        db_path.unlink()
    for suffix in ("-wal", "-shm"):
        Path(str(db_path) + suffix).unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{db_path}")
    upgrade(engine)
    with Session(engine) as session:
        stores = seed_org(session)
        session.commit()
    engine.dispose()
    store_ids = [stores["SH01"], stores["BJ01"], stores["GZ01"]]
    rng = random.Random(42)
    # Unique phones without a lookup set: a random permutation of 8-digit suffixes per prefix.
    per_prefix = members // len(PREFIXES) + 1
    conn = sqlite3.connect(db_path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA cache_size=-400000")
    start = time.perf_counter()
    now = datetime.now(UTC).replace(tzinfo=None)
    with Progress(
        TextColumn("Generating members"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as bar:
        task = bar.add_task("gen", total=members)
        suffixes = rng.sample(range(100_000_000), per_prefix)
        member_id = 0
        conn.execute("BEGIN")
        rows, tag_rows = [], []
        for i in range(members):
            member_id += 1  # noqa: SIM113  (continues across batches, not the loop index)
            phone = f"+86{PREFIXES[i % len(PREFIXES)]}{suffixes[i // len(PREFIXES)]:08d}"
            joined = now - timedelta(days=rng.randint(0, 2000))
            custom = json.dumps(
                {"skin_type": SKIN[i % 4], "marketing_ok": i % 3 == 0}, ensure_ascii=False
            )
            name = rng.choice(SURNAMES) + rng.choice(GIVEN) + (rng.choice(GIVEN) if i % 2 else "")
            rows.append(
                (
                    member_id,
                    f"M{member_id:08d}",
                    name,
                    phone,
                    phone[-4:],
                    ("FEMALE", "MALE", "UNKNOWN")[i % 3],
                    None,
                    "",
                    store_ids[i % 3],
                    joined.isoformat(sep=" "),
                    ("ACTIVE", "ACTIVE", "ACTIVE", "FROZEN", "CANCELLED")[
                        i % 5 if i % 7 == 0 else 0
                    ],
                    "",
                    "",
                    custom,
                    None,
                    joined.isoformat(sep=" "),
                )
            )
            if i % 5 == 0:
                tag_rows.append((member_id, TAGS[i // 5 % len(TAGS)]))  # 40,000 per tag
            if len(rows) == BATCH:
                _flush(conn, rows, tag_rows)
                bar.update(task, completed=i + 1)
        _flush(conn, rows, tag_rows)
        conn.execute("COMMIT")
        bar.update(task, completed=members)
    elapsed = time.perf_counter() - start
    conn.execute("ANALYZE")
    conn.close()
    return elapsed, stores


def _flush(conn: sqlite3.Connection, rows: list, tag_rows: list) -> None:
    conn.executemany(
        "INSERT INTO member (id, member_no, name, phone, phone_tail, gender, birthday, email, "
        "home_store_id, joined_at, status, status_reason, notes, custom, created_by, updated_at) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        rows,
    )
    conn.executemany("INSERT INTO membertag (member_id, tag) VALUES (?,?)", tag_rows)
    rows.clear()
    tag_rows.clear()


def measure(db_path: Path, stores: dict[str, int], repeats: int) -> list[tuple[str, float, float]]:
    engine = make_engine(f"sqlite:///{db_path}")
    rng = random.Random(7)
    results = []
    with Session(engine) as session:
        admin = load_actor(
            session, session.exec(select(Staff).where(Staff.username == "admin")).one()
        )
        clerk = load_actor(
            session, session.exec(select(Staff).where(Staff.username == "reception")).one()
        )
        phones = list(session.exec(select(Member.phone).limit(5000)).all())
        cases = {
            "name prefix (2 chars)": lambda: (
                admin,
                MemberQuery(q=rng.choice(SURNAMES) + rng.choice(GIVEN)),
            ),
            "phone last 4 digits": lambda: (admin, MemberQuery(q=f"{rng.randint(0, 9999):04d}")),
            "phone prefix (7 digits)": lambda: (admin, MemberQuery(q=rng.choice(phones)[3:10])),
            "full phone": lambda: (admin, MemberQuery(q=rng.choice(phones)[3:])),
            "member number": lambda: (admin, MemberQuery(q=f"M{rng.randint(1, 1_000_000):08d}")),
            "no filter, page 1 (HQ)": lambda: (admin, MemberQuery()),
            "store + status filter": lambda: (
                admin,
                MemberQuery(store_id=stores["BJ01"], status="frozen"),
            ),
            "tag filter": lambda: (admin, MemberQuery(tag=rng.choice(TAGS))),
            "custom field filter": lambda: (
                admin,
                MemberQuery(custom={"skin_type": rng.choice(SKIN)}),
            ),
            "reception, own store": lambda: (clerk, MemberQuery()),
            "reception, name search": lambda: (
                clerk,
                MemberQuery(q=rng.choice(SURNAMES) + rng.choice(GIVEN)),
            ),
            "sort by name, page 50": lambda: (admin, MemberQuery(sort="name", page=50)),
        }
        # The REST API's keyset pages (GET /members?q=…&after=…) go through members_after.
        cursor_cases = {
            "API page, HQ name search": lambda: (
                admin,
                MemberQuery(q=rng.choice(SURNAMES) + rng.choice(GIVEN)),
            ),
            "API page, reception name search": lambda: (
                clerk,
                MemberQuery(q=rng.choice(SURNAMES) + rng.choice(GIVEN)),
            ),
            "API page, reception phone last 4": lambda: (
                clerk,
                MemberQuery(q=f"{rng.randint(0, 9999):04d}"),
            ),
            "API page, reception no match": lambda: (clerk, MemberQuery(q="无此人")),
        }
        for label, make in [*cases.items(), *cursor_cases.items()]:
            timings = []
            for _ in range(repeats):
                actor, query = make()
                t0 = time.perf_counter()
                if label.startswith("API"):
                    members_after(session, actor, query, 0, 20)
                else:
                    page = search_members(session, actor, query)
                    assert page.page_size == 20
                timings.append((time.perf_counter() - t0) * 1000)
            results.append((label, statistics.median(timings), max(timings)))
    engine.dispose()
    return results


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument(
        "--db", type=Path, default=Path(__file__).resolve().parent / "out" / "members.db"
    )
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--reuse", action="store_true", help="skip generation if the db exists")
    args = parser.parse_args()
    args.db.parent.mkdir(parents=True, exist_ok=True)
    if args.reuse and args.db.exists():
        engine = make_engine(f"sqlite:///{args.db}")
        from backoffice.models import Store

        with Session(engine) as session:
            stores = {s.code: s.id for s in session.exec(select(Store)).all()}
        gen_seconds = float("nan")
    else:
        gen_seconds, stores = generate(args.db, args.members)
    console.print(
        f"generator: {args.members:,} members in {gen_seconds:.1f} s "
        f"({args.members / gen_seconds:,.0f} rows/s)  [target < 60 s]"
    )
    table = Table(
        title=f"search_members over {args.members:,} members (SQLite), {args.repeats} runs each"
    )
    table.add_column("query")
    table.add_column("median ms", justify="right")
    table.add_column("max ms", justify="right")
    results = measure(args.db, stores, args.repeats)
    for label, median, worst in results:
        table.add_row(label, f"{median:.1f}", f"{worst:.1f}")
    console.print(table)
    overall = statistics.median([m for _, m, _ in results])
    console.print(f"median of the query medians: {overall:.1f} ms  [target < 50 ms]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
