"""Benchmark: backup and restore of 1,000,000 members on SQLite.

Generates the members with bench/member_search.py's generator (or reuses its database),
then times `backup` (online copy + manifest with a checksum of every table) and `restore`
(check, staged restore, verify, swap). The floor in the same run: a plain file copy of the
database (what any backup must at least do), printed as a ratio.

    .venv/bin/python bench/backup.py [--members 1000000] [--reuse]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rich.console import Console  # noqa: E402

from backoffice.db import make_engine  # noqa: E402
from backoffice.services.operations.backup import backup, restore  # noqa: E402
from bench.member_search import generate  # noqa: E402

console = Console()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument(
        "--db", type=Path, default=Path(__file__).resolve().parent / "out" / "members.db"
    )
    parser.add_argument("--reuse", action="store_true", help="reuse bench/out/members.db")
    args = parser.parse_args()
    args.db.parent.mkdir(parents=True, exist_ok=True)
    if not (args.reuse and args.db.exists()):
        seconds, _stores = generate(args.db, args.members)
        console.print(f"generated {args.members:,} members in {seconds:.1f} s")
    engine = make_engine(f"sqlite:///{args.db}")
    work = Path(tempfile.mkdtemp(prefix="bench-backup-", dir=args.db.parent))
    try:
        started = time.perf_counter()
        shutil.copyfile(args.db, work / "copy.db")
        floor = time.perf_counter() - started
        started = time.perf_counter()
        file = backup(engine, work / "backup.zip")
        took_backup = time.perf_counter() - started
        started = time.perf_counter()
        report = restore(engine, file)
        took_restore = time.perf_counter() - started
        size = os.path.getsize(args.db) / 2**20
        console.print(f"database: {size:,.0f} MiB, {report.rows:,} rows in {report.tables} tables")
        console.print(f"plain file copy (floor): {floor:.2f} s")
        console.print(
            f"backup:  {took_backup:.1f} s   ratio to the floor: {took_backup / floor:.1f}x"
        )
        console.print(f"restore: {took_restore:.1f} s   (check, staged restore, verify, swap)")
    finally:
        shutil.rmtree(work, ignore_errors=True)
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
