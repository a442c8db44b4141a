"""Backup and restore (`backoffice backup [FILE]`, `backoffice restore FILE`).

A backup is one zip file: `manifest.json` (format, dialect, schema revision, when, row
count and checksum of every table, the audit chain's head) and the dump itself (SQLite:
a page-by-page copy through SQLite's online backup API, taken while the app runs;
PostgreSQL: `pg_dump` in its custom format).

Restoring checks everything before the current database is touched: the file is whole
(zip CRCs and the dump's SHA-256), the schema is not newer than this code knows, the
dialect matches. The dump is then restored beside the current database (a temporary file,
or a scratch PostgreSQL database), verified (row counts against the manifest, the audit
chain), and only then swapped in (a file rename; a database rename on PostgreSQL): a failed
restore leaves the current database as it was.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, make_url, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, create_engine

from backoffice.db import make_engine
from backoffice.models.base import utcnow
from backoffice.services.org.audit import verify_chain

FORMAT = 1
DUMP = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why and what to do."""


@dataclass
class RestoreReport:
    tables: int
    rows: int
    audit_entries: int


def schema_revision(engine: Engine) -> str:
    with engine.connect() as connection:
        heads = MigrationContext.configure(connection).get_current_heads()
    return heads[0] if heads else ""


MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def known_revisions() -> set[str]:
    """The schema revisions this code has migrations for."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    script = ScriptDirectory.from_config(config)
    return {r.revision for r in script.walk_revisions()}


def table_figures(engine: Engine) -> dict[str, dict[str, Any]]:
    """Row count and a checksum of the rows (in primary-key order) of every table. On
    PostgreSQL the server computes it (md5 over each row's text form): a million members are
    not shipped to Python twice per restore. A backup and its restore share a dialect, so the
    two forms never meet."""
    figures: dict[str, dict[str, Any]] = {}
    tables = [t for t in SQLModel.metadata.sorted_tables]
    with engine.connect() as connection:
        present = set(inspect(connection).get_table_names())
        for table in tables:
            if table.name not in present:
                continue
            order = list(table.primary_key.columns) or list(table.columns)
            if engine.dialect.name == "postgresql":
                figures[table.name] = _pg_table_figures(connection, table.name, order)
                continue
            figures[table.name] = _sqlite_table_figures(connection, table.name, order)
    return figures


def _sqlite_table_figures(connection: Any, name: str, order: list[Any]) -> dict[str, Any]:
    """The rows as SQLite stores them (no type conversion: dates stay text, JSON stays
    text), hashed a thousand at a time: what is compared is the stored data, fast."""
    keys = ", ".join(f'"{column.name}"' for column in order)
    cursor = connection.exec_driver_sql(f'SELECT * FROM "{name}" ORDER BY {keys}')
    digest = hashlib.sha256()
    count = 0
    while rows := cursor.fetchmany(1000):
        digest.update(repr([tuple(row) for row in rows]).encode())
        count += len(rows)
    return {"rows": count, "sha256": digest.hexdigest()}


def _pg_table_figures(connection: Any, name: str, order: list[Any]) -> dict[str, Any]:
    keys = ", ".join(f't."{column.name}"' for column in order)
    row = connection.execute(
        text(
            f"SELECT count(*), md5(string_agg(md5(t::text), '' ORDER BY {keys})) FROM \"{name}\" t"
        )
    ).one()
    return {"rows": row[0], "sha256": row[1] or ""}


def _audit_head(engine: Engine) -> dict[str, Any]:
    with engine.connect() as connection:
        row = connection.execute(
            text("SELECT id, hash FROM auditentry ORDER BY id DESC LIMIT 1")
        ).first()
    return {"id": row[0], "hash": row[1]} if row else {"id": 0, "hash": ""}


def backup(engine: Engine, target: Path, progress: Callable[[str], None] | None = None) -> Path:
    """Write a backup of the database behind `engine` to `target` (a .zip file)."""
    say = progress or (lambda _step: None)
    dialect = engine.dialect.name
    if dialect not in DUMP:
        raise BackupError(f"backups support SQLite and PostgreSQL, not {dialect}")
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as work:
        dump = Path(work) / DUMP[dialect]
        say("dump")
        if dialect == "sqlite":
            _sqlite_copy(engine, dump)
        else:
            _pg_dump(engine, dump)
        say("manifest")
        source = make_engine(f"sqlite:///{dump}") if dialect == "sqlite" else engine
        manifest = {
            "format": FORMAT,
            "dialect": dialect,
            "schema_revision": schema_revision(source),
            "created_at": utcnow().isoformat(),
            "tables": table_figures(source),
            "audit_head": _audit_head(source),
            "dump_sha256": _sha256(dump),
        }
        if source is not engine:
            source.dispose()
        partial = target.with_suffix(target.suffix + ".partial")
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("manifest.json", json.dumps(manifest, indent=1))
            archive.write(dump, DUMP[dialect])
        os.replace(partial, target)  # a backup file is whole or absent
    return target


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _sqlite_path(engine: Engine) -> Path:
    database = engine.url.database
    if not database:
        raise BackupError("an in-memory SQLite database has nothing to back up")
    return Path(database)


def _sqlite_copy(engine: Engine, dump: Path) -> None:
    """SQLite's online backup: a consistent copy while the app and workers keep writing."""
    source = sqlite3.connect(_sqlite_path(engine))
    target = sqlite3.connect(dump)
    try:
        source.backup(target)
    finally:
        target.close()
        source.close()


def _pg_args(url_text: str) -> tuple[list[str], dict[str, str]]:
    url = make_url(url_text)
    args = ["--host", url.host or "127.0.0.1", "--port", str(url.port or 5432)]
    if url.username:
        args += ["--username", url.username]
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = url.password
    return args, env


def _pg_tool(name: str) -> str:
    tool = shutil.which(name)
    if tool is None:
        raise BackupError(f"{name} is not installed (Debian: apt-get install postgresql-client)")
    return tool


def _pg_dump(engine: Engine, dump: Path) -> None:
    url = engine.url.render_as_string(hide_password=False)
    args, env = _pg_args(url)
    done = subprocess.run(
        [
            _pg_tool("pg_dump"),
            *args,
            "--format=custom",
            "--no-owner",
            "--file",
            str(dump),
            make_url(url).database or "postgres",
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise BackupError(f"pg_dump failed: {done.stderr.strip()[-500:]}")


# ---- restore ------------------------------------------------------------------------------


def read_manifest(archive_path: Path) -> tuple[dict[str, Any], zipfile.ZipFile]:
    """The manifest of a whole, readable backup file, or a BackupError saying what is wrong."""
    if not archive_path.exists():
        raise BackupError(f"{archive_path} does not exist")
    try:
        archive = zipfile.ZipFile(archive_path)
        broken = archive.testzip()
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise BackupError(
            f"{archive_path} is not a whole backup file (truncated or corrupt): {exc}"
        ) from exc
    if broken is not None:
        raise BackupError(f"{archive_path} is corrupt: {broken} fails its checksum")
    try:
        manifest = json.loads(archive.read("manifest.json"))
    except (KeyError, ValueError) as exc:
        raise BackupError(f"{archive_path} has no readable manifest: {exc}") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(f"backup format {manifest.get('format')!r} is not one this version reads")
    return manifest, archive


def restore(
    engine: Engine, archive_path: Path, progress: Callable[[str], None] | None = None
) -> RestoreReport:
    """Replace the database behind `engine` by the backup, after checking it whole."""
    say = progress or (lambda _step: None)
    manifest, archive = read_manifest(archive_path)
    dialect = engine.dialect.name
    if manifest["dialect"] != dialect:
        raise BackupError(
            f"this backup is of a {manifest['dialect']} database; the current one is {dialect}"
        )
    if manifest["schema_revision"] not in known_revisions():
        raise BackupError(
            f"the backup's schema ({manifest['schema_revision']}) is newer than this version "
            "knows: restore it with the version that made it, or upgrade first"
        )
    with tempfile.TemporaryDirectory() as work:
        say("check")
        dump = Path(work) / DUMP[dialect]
        with archive, dump.open("wb") as out:
            out.write(archive.read(DUMP[dialect]))
        if _sha256(dump) != manifest["dump_sha256"]:
            raise BackupError(f"{archive_path}'s dump does not match its manifest (corrupt)")
        if dialect == "sqlite":
            return _restore_sqlite(engine, dump, manifest, say)
        return _restore_pg(engine, dump, manifest, say)


def _verify(engine: Engine, manifest: dict[str, Any]) -> RestoreReport:
    figures = table_figures(engine)
    expected = manifest["tables"]
    wrong = [
        name
        for name, want in expected.items()
        if figures.get(name, {}).get("rows") != want["rows"]
        or figures.get(name, {}).get("sha256") != want["sha256"]
    ]
    if wrong:
        raise BackupError(f"restored tables differ from the backup: {', '.join(sorted(wrong))}")
    with Session(engine) as session:
        # The chain alone: checkpoints signed after the backup see its newer tail as cut.
        chain = verify_chain(session, with_checkpoints=False)
    if not chain.ok:
        raise BackupError(f"the restored audit chain does not verify: {chain.problems[:3]}")
    return RestoreReport(
        tables=len(figures),
        rows=sum(f["rows"] for f in figures.values()),
        audit_entries=chain.checked,
    )


def _restore_sqlite(
    engine: Engine, dump: Path, manifest: dict[str, Any], say: Callable[[str], None]
) -> RestoreReport:
    current = _sqlite_path(engine)
    staged = current.with_name(current.name + ".restoring")
    shutil.copyfile(dump, staged)
    say("verify")
    scratch = create_engine(f"sqlite:///{staged}")
    try:
        report = _verify(scratch, manifest)
    except BackupError:
        staged.unlink(missing_ok=True)
        raise
    finally:
        scratch.dispose()
    say("swap")
    engine.dispose()
    for suffix in ("-wal", "-shm"):  # the old file's journal must not replay onto the new one
        with contextlib.suppress(FileNotFoundError):
            os.remove(f"{current}{suffix}")
    os.replace(staged, current)
    return report


def _restore_pg(
    engine: Engine, dump: Path, manifest: dict[str, Any], say: Callable[[str], None]
) -> RestoreReport:
    """Restore into a scratch database, verify it there, then swap the two by renaming: one
    pg_restore, and on any error before the swap the current database is as it was. The
    swap ends the other sessions on the current database (workers reconnect)."""
    url = make_url(engine.url.render_as_string(hide_password=False))
    args, env = _pg_args(url.render_as_string(hide_password=False))
    current = url.database or "postgres"
    scratch_name, old_name = f"{current}_restore_check", f"{current}_before_restore"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    swapped = False
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{scratch_name}"'))
            connection.execute(text(f'DROP DATABASE IF EXISTS "{old_name}"'))
            connection.execute(text(f'CREATE DATABASE "{scratch_name}"'))
        say("verify")
        _pg_restore(args, env, scratch_name, dump)
        scratch = create_engine(url.set(database=scratch_name))
        try:
            report = _verify(scratch, manifest)
        finally:
            scratch.dispose()
        say("swap")
        engine.dispose()
        with admin.connect() as connection:
            _swap_databases(connection, current, scratch_name, old_name)
        swapped = True
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{scratch_name}"'))
            if swapped:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{old_name}" WITH (FORCE)'))
        admin.dispose()
    return report


def _swap_databases(connection: Any, current: str, restored: str, old: str) -> None:
    """current -> old, restored -> current; if the second rename fails the first is undone."""
    end_sessions = (
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE datname = :name AND pid <> pg_backend_pid()"
    )
    connection.execute(text(end_sessions), {"name": current})
    connection.execute(text(f'ALTER DATABASE "{current}" RENAME TO "{old}"'))
    try:
        connection.execute(text(f'ALTER DATABASE "{restored}" RENAME TO "{current}"'))
    except Exception:
        connection.execute(text(f'ALTER DATABASE "{old}" RENAME TO "{current}"'))
        raise


def _pg_restore(args: list[str], env: dict[str, str], database: str, dump: Path) -> None:
    done = subprocess.run(
        [
            _pg_tool("pg_restore"),
            *args,
            "--no-owner",
            "--single-transaction",
            "--dbname",
            database,
            str(dump),
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise BackupError(f"pg_restore failed: {done.stderr.strip()[-500:]}")
