"""Backup and restore round trips on the real database (SQLite file; PostgreSQL with
pg_dump/pg_restore in CI's server pass): identical data after restoring, and a file that
is newer, corrupt, truncated or of the other dialect refused with the database unchanged."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from sqlmodel import Session

from backoffice.demo import admin_actor, seed_org
from backoffice.services.loyalty.sales import SaleInput, record_sale
from backoffice.services.members.profiles import MemberInput, create_member
from backoffice.services.operations.backup import BackupError, backup, restore, table_figures
from backoffice.services.org.audit import verify_chain

pytestmark = pytest.mark.integration


@pytest.fixture
def chain(engine):  # noqa: ANN001, ANN201
    with Session(engine, expire_on_commit=False) as session:
        stores = seed_org(session)
        admin = admin_actor(session)
        for i in range(5):
            member = create_member(
                session,
                admin,
                MemberInput(name=f"会员{i}", phone=f"1380000710{i}", home_store_id=stores["SH01"]),
            )
            record_sale(
                session,
                admin,
                SaleInput(member_id=member.id, store_id=stores["SH01"], amount_cents=1000 + i),
            )
        session.commit()
    return {"engine": engine, "admin": admin, "store": stores["SH01"]}


def _change_something(engine, admin, store) -> None:  # noqa: ANN001
    with Session(engine) as session:
        create_member(
            session, admin, MemberInput(name="后来", phone="13800007199", home_store_id=store)
        )
        session.commit()


def test_a_restored_backup_holds_exactly_the_data_backed_up(chain, tmp_path):
    engine = chain["engine"]
    before = table_figures(engine)
    file = backup(engine, tmp_path / "b.zip")
    manifest = json.loads(zipfile.ZipFile(file).read("manifest.json"))
    assert manifest["tables"]["member"]["rows"] == 5 and manifest["audit_head"]["id"] > 0
    _change_something(engine, chain["admin"], chain["store"])
    assert table_figures(engine) != before
    report = restore(engine, file)
    assert table_figures(engine) == before  # row count and checksum of every table
    assert report.rows == sum(t["rows"] for t in before.values())
    with Session(engine) as session:
        assert verify_chain(session).ok


def _refused(engine, file: Path, match: str) -> None:  # noqa: ANN001
    before = table_figures(engine)
    with pytest.raises(BackupError, match=match):
        restore(engine, file)
    assert table_figures(engine) == before  # untouched


def test_a_newer_schema_is_refused(chain, tmp_path):
    engine = chain["engine"]
    file = backup(engine, tmp_path / "b.zip")
    with zipfile.ZipFile(file) as old:
        manifest = json.loads(old.read("manifest.json"))
        dump_name = next(n for n in old.namelist() if n != "manifest.json")
        dump = old.read(dump_name)
    manifest["schema_revision"] = "0999_from_the_future"
    newer = tmp_path / "newer.zip"
    with zipfile.ZipFile(newer, "w") as out:
        out.writestr("manifest.json", json.dumps(manifest))
        out.writestr(dump_name, dump)
    _change_something(engine, chain["admin"], chain["store"])
    _refused(engine, newer, "newer than this version knows")


def test_a_truncated_or_corrupt_file_is_refused(chain, tmp_path):
    engine = chain["engine"]
    file = backup(engine, tmp_path / "b.zip")
    data = file.read_bytes()
    truncated = tmp_path / "cut.zip"
    truncated.write_bytes(data[: len(data) // 2])
    _refused(engine, truncated, "not a whole backup file")
    flipped = bytearray(data)
    middle = len(flipped) // 2
    flipped[middle] ^= 0xFF
    corrupt = tmp_path / "flipped.zip"
    corrupt.write_bytes(bytes(flipped))
    _refused(engine, corrupt, "corrupt|not a whole backup file")


def test_a_backup_of_the_other_dialect_is_refused(chain, tmp_path):
    engine = chain["engine"]
    file = backup(engine, tmp_path / "b.zip")
    with zipfile.ZipFile(file) as old:
        manifest = json.loads(old.read("manifest.json"))
        parts = {n: old.read(n) for n in old.namelist()}
    manifest["dialect"] = "postgresql" if engine.dialect.name == "sqlite" else "sqlite"
    other = tmp_path / "other.zip"
    with zipfile.ZipFile(other, "w") as out:
        for name, content in parts.items():
            out.writestr(name, json.dumps(manifest) if name == "manifest.json" else content)
    _refused(engine, other, "this backup is of a")


def test_nightly_backups_keep_the_newest_n(chain, tmp_path):
    from backoffice.services.operations.nightly_backups import nightly_backup

    folder = tmp_path / "nightly"
    for day in ("2026-03-01", "2026-03-02", "2026-03-03", "2026-03-04"):
        nightly_backup(chain["engine"], folder, day, keep=2)
    assert sorted(p.name for p in folder.iterdir()) == [
        "backoffice-nightly-2026-03-03.zip",
        "backoffice-nightly-2026-03-04.zip",
    ]


def test_the_scheduler_queues_one_backup_a_day_when_configured(
    chain, process_db, redis, tmp_path, monkeypatch
):
    from datetime import UTC, datetime

    from rq import Queue

    from backoffice.settings import get_settings
    from backoffice.workflows.scheduler import Scheduler

    at = datetime(2026, 3, 3, 18, 30, tzinfo=UTC)  # 02:30 in Shanghai
    Scheduler(redis, process_db, clock=lambda: at).one_pass()
    assert "backup-2026-03-04" not in Queue("default", connection=redis).get_job_ids()  # off
    monkeypatch.setenv("BACKUP_DIR", str(tmp_path / "nightly"))
    get_settings.cache_clear()
    leader = Scheduler(redis, process_db, clock=lambda: at)
    redis.delete("backoffice:scheduler:leader")
    leader.one_pass()
    leader.one_pass()
    assert Queue("default", connection=redis).get_job_ids().count("backup-2026-03-04") == 1
