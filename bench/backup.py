"""Benchmark: backup and restore of 1,000,000 members on SQLite or PostgreSQL.

Generates the members with bench/member_search.py's generator (or reuses its database),
then times `backup` (online copy + manifest with a checksum of every table) and `restore`
(check, staged restore, verify, swap). The floor in the same run: a plain file copy of the
database on SQLite, a bare `pg_dump -Fc` on PostgreSQL (what any backup must at least do),
printed as a ratio.

With DATABASE_URL set to PostgreSQL, the generated SQLite database is copied into that
database first (every table, with COPY; the database is emptied first, so never point it
at one you need).

    .venv/bin/python bench/backup.py [--members 1000000] [--reuse]
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/wt_b .venv/bin/python bench/backup.py --reuse
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rich.console import Console  # noqa: E402
from sqlalchemy import text  # noqa: E402
from sqlalchemy.engine import Engine, make_url  # noqa: E402
from sqlmodel import SQLModel  # noqa: E402

from backoffice.db import make_engine  # noqa: E402
from backoffice.migrate import upgrade  # noqa: E402
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
    url = os.environ.get("DATABASE_URL", "")
    postgres = url.startswith("postgresql")
    engine = make_engine(url if postgres else f"sqlite:///{args.db}")
    if postgres:
        started = time.perf_counter()
        copy_into_postgres(args.db, engine)
        console.print(f"copied into PostgreSQL in {time.perf_counter() - started:.1f} s")
    work = Path(tempfile.mkdtemp(prefix="bench-backup-", dir=args.db.parent))
    try:
        started = time.perf_counter()
        if postgres:
            bare_pg_dump(url, work / "bare.dump")
        else:
            shutil.copyfile(args.db, work / "copy.db")
        floor = time.perf_counter() - started
        started = time.perf_counter()
        file = backup(engine, work / "backup.zip")
        took_backup = time.perf_counter() - started
        started = time.perf_counter()
        report = restore(engine, file)
        took_restore = time.perf_counter() - started
        size = _size_mib(engine, args.db)
        console.print(
            f"{engine.dialect.name} database: {size:,.0f} MiB, "
            f"{report.rows:,} rows in {report.tables} tables"
        )
        what = "bare pg_dump -Fc" if postgres else "plain file copy"
        console.print(f"{what} (floor): {floor:.2f} s")
        console.print(
            f"backup:  {took_backup:.1f} s   ratio to the floor: {took_backup / floor:.1f}x"
        )
        console.print(f"restore: {took_restore:.1f} s   (check, staged restore, verify, swap)")
    finally:
        shutil.rmtree(work, ignore_errors=True)
        engine.dispose()
    return 0


def copy_into_postgres(sqlite_db: Path, engine: Engine) -> None:
    """Every table of the generated SQLite database into PostgreSQL, with COPY: the schema
    from our migrations, then the rows as SQLite stores them (PostgreSQL parses the text)."""
    upgrade(engine)
    tables = [t.name for t in SQLModel.metadata.sorted_tables]
    source = sqlite3.connect(sqlite_db)
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute("SET session_replication_role = replica")  # no FK triggers while loading
        cur.execute("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " CASCADE")
        for table in tables:
            columns = [row[1] for row in source.execute(f'PRAGMA table_info("{table}")')]
            if not columns:
                continue
            names = ", ".join(f'"{c}"' for c in columns)
            with cur.copy(f'COPY "{table}" ({names}) FROM STDIN') as copy:  # type: ignore[attr-defined]
                for row in source.execute(f'SELECT {names} FROM "{table}"'):
                    copy.write_row(row)
            if "id" in columns:
                cur.execute(
                    f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                    f'COALESCE((SELECT max(id) FROM "{table}"), 0) + 1, false) '
                    f"WHERE pg_get_serial_sequence('\"{table}\"', 'id') IS NOT NULL"
                )
        raw.commit()
        cur.execute("ANALYZE")
        raw.commit()
    finally:
        raw.close()
        source.close()


def bare_pg_dump(url: str, target: Path) -> None:
    parsed = make_url(url)
    subprocess.run(
        [
            "pg_dump",
            "--host",
            parsed.host or "127.0.0.1",
            "--port",
            str(parsed.port or 5432),
            "--username",
            parsed.username or "postgres",
            "--format=custom",
            "--no-owner",
            "--file",
            str(target),
            parsed.database or "postgres",
        ],
        check=True,
    )


def _size_mib(engine: Engine, sqlite_db: Path) -> float:
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            size = conn.execute(text("SELECT pg_database_size(current_database())")).scalar()
        return int(size or 0) / 2**20
    return os.path.getsize(sqlite_db) / 2**20


if __name__ == "__main__":
    sys.exit(main())
