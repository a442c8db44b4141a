"""The keyed, anchored audit chain (#18 item 2): an attacker with the database but not the
key cannot rewrite the chain, and signed checkpoints outside the database catch a tail cut."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import Session, col, select

from backoffice.db import make_engine
from backoffice.migrate import upgrade
from backoffice.models import AuditEntry, AuditHead
from backoffice.services.org import audit
from backoffice.services.org.audit_chain import GENESIS, entry_mac, plain_hash
from backoffice.services.org.audit_checkpoints import (
    checkpoint_dir,
    read_checkpoints,
    write_checkpoint,
)
from backoffice.services.org.audit_verify import verify_chain
from tests.unit.foundation_fixtures import add_member


@pytest.fixture
def chain(session, org):
    admin = org.actors["admin"]
    for i in range(6):
        add_member(session, admin, org.stores["SH01"], f"1380000{i:04d}", f"会员{i}")
    session.commit()
    return session.exec(select(AuditEntry).order_by(col(AuditEntry.id))).all()


def fresh_report(engine):
    with Session(engine) as fresh:
        return verify_chain(fresh)


def forge_from(session, first_id: int, edit: dict | None = None) -> None:
    """What an attacker with only the database can do: change rows from `first_id` on and
    recompute every hash after them with plain SHA-256 (no key), moving the head."""
    rows = session.exec(select(AuditEntry).order_by(col(AuditEntry.id))).all()
    prev = GENESIS
    for row in rows:
        if row.id >= first_id:
            if row.id == first_id and edit:
                for k, v in edit.items():
                    setattr(row, k, v)
            row.prev_hash, row.hash = prev, plain_hash(prev, row)
            session.add(row)
        prev = row.hash
    head = session.get(AuditHead, 1)
    head.last_id, head.last_hash = rows[-1].id, prev
    session.add(head)
    session.commit()


def test_the_chain_is_keyed(chain):
    for previous, entry in zip(chain, chain[1:], strict=False):
        assert entry.hash == entry_mac(previous.hash, entry)
        assert entry.hash != plain_hash(previous.hash, entry)


def test_rewriting_the_whole_chain_without_the_key_names_the_first_forged_row(
    engine, session, chain
):
    forge_from(session, 1)
    report = fresh_report(engine)
    assert not report.ok
    assert report.problems[0] == (
        "entry 1: re-chained: its hash was recomputed without the key (forged)"
    )
    assert len(report.problems) == len(chain)  # every row is forged, each is named


def test_editing_a_row_and_recomputing_the_rest_names_that_row(engine, session, chain):
    target = chain[-3]
    forge_from(session, target.id, {"actor_name": "someone_else"})
    report = fresh_report(engine)
    assert report.problems[0] == (
        f"entry {target.id}: re-chained: its hash was recomputed without the key (forged)"
    )
    assert all(
        str(e.id) not in p.split(":")[0].split() for p in report.problems for e in chain[:-3]
    )


def test_deleting_and_renumbering_is_named(engine, session, chain):
    victim = chain[2]
    session.execute(text("DELETE FROM auditentry WHERE id = :i"), {"i": victim.id})
    for row in chain[3:]:
        session.execute(
            text("UPDATE auditentry SET id = :new WHERE id = :old"),
            {"new": row.id - 1, "old": row.id},
        )
    session.commit()
    session.expunge_all()
    forge_from(session, victim.id)
    assert fresh_report(engine).problems[0] == (
        f"entry {victim.id}: re-chained: its hash was recomputed without the key (forged)"
    )


def test_an_inserted_row_is_named(engine, session, chain):
    """A row slipped in (ids after it moved up by one, hashes left as they were)."""
    k = chain[3].id
    for row in reversed(chain[3:]):
        session.execute(
            text("UPDATE auditentry SET id = :new WHERE id = :old"),
            {"new": row.id + 1, "old": row.id},
        )
    data = {**chain[3].model_dump(), "id": k, "action": "members.delete"}
    session.commit()
    session.expunge_all()
    fake = AuditEntry(**data)
    fake.prev_hash, fake.hash = chain[2].hash, "f" * 64
    session.add(fake)
    session.commit()
    assert fresh_report(engine).problems[0] == f"entry {k}: inserted (the next entry links past it)"


def test_a_tail_cut_after_the_last_checkpoint_is_detected(engine, session, chain):
    write_checkpoint(session)
    session.commit()
    assert fresh_report(engine).ok and fresh_report(engine).checkpoints == 1
    keep = chain[-4]
    session.execute(text("DELETE FROM auditentry WHERE id > :i"), {"i": keep.id})
    session.execute(
        text("UPDATE audithead SET last_id = :i, last_hash = :h"), {"i": keep.id, "h": keep.hash}
    )
    session.commit()
    report = fresh_report(engine)
    assert report.problems[0].startswith(f"tail cut: the chain ends at entry {keep.id} but the ")
    assert report.problems[0].endswith(f"signed entry {chain[-1].id}")
    assert len(report.problems) == 1  # nothing else: the rows that are left are genuine
    with Session(engine) as fresh:  # what a restored (older) backup checks: its chain alone
        assert verify_chain(fresh, with_checkpoints=False).ok


def test_a_checkpointed_entry_rewritten_is_named_by_the_checkpoint(engine, session, chain):
    write_checkpoint(session)
    session.commit()
    last = chain[-1]
    session.execute(
        text("UPDATE auditentry SET hash = :h WHERE id = :i"), {"h": "0" * 64, "i": last.id}
    )
    session.execute(text("UPDATE audithead SET last_hash = :h"), {"h": "0" * 64})
    session.commit()
    problems = fresh_report(engine).problems
    assert problems[0] == f"entry {last.id}: edited (its content does not match its MAC)"
    assert any(p.startswith("checkpoint ") and f"entry {last.id} is not" in p for p in problems)


def test_a_forged_checkpoint_file_is_refused(engine, session, chain):
    path = write_checkpoint(session)
    session.commit()
    data = json.loads(path.read_text())
    data["last_id"] = 1
    path.write_text(json.dumps(data))
    assert read_checkpoints()[0].problem == "signature does not verify"
    assert fresh_report(engine).problems == [
        f"checkpoint {path.name}: signature does not verify (forged or damaged)"
    ]
    assert (checkpoint_dir() / "public.pem").read_bytes().startswith(b"-----BEGIN PUBLIC KEY")


def test_the_migration_rekeys_a_plain_chain_once_and_says_so(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(engine, "0016_operations")
    with Session(engine) as s:
        prev = GENESIS
        for i in range(1, 4):
            row = AuditEntry(
                id=i,
                action="members.create",
                target_type="member",
                target_id=str(i),
                prev_hash=prev,
                hash="",
            )
            row.hash = plain_hash(prev, row)
            prev = row.hash
            s.add(row)
        s.add(AuditHead(id=1, last_id=3, last_hash=prev))
        s.commit()
    upgrade(engine)
    with Session(engine) as s:
        report = verify_chain(s)
        note = s.get(AuditEntry, 4)
    assert report.ok and report.checked == 4
    assert note.action == "audit.rekeyed"
    assert note.changes == {"entries": 3, "plain_chain_intact": True, "mac": "HMAC-SHA256"}
    engine.dispose()


def test_the_migration_on_an_empty_log_writes_nothing(session):
    path = Path(__file__).parents[2] / "backoffice/migrations/versions/0018_d_audit_hmac.py"
    spec = importlib.util.spec_from_file_location("m0018", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    rekey = module.rekey
    session.exec(text("DELETE FROM auditentry"))  # type: ignore[call-overload]
    assert rekey(session) == 0
    assert session.exec(select(AuditEntry)).first() is None


def test_record_continues_the_keyed_chain(session, org, chain):
    entry = audit.record(session, org.actors["admin"], "x.test")
    assert entry.prev_hash == chain[-1].hash and entry.hash == entry_mac(chain[-1].hash, entry)
