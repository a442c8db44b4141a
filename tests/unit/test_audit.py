"""The audit log: every write leaves a MAC-chained entry; tampering is detected."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from backoffice.errors import PermissionDenied
from backoffice.models import AuditEntry
from backoffice.services.members.profiles import MemberInput, update_member
from backoffice.services.members.status import change_member_status
from backoffice.services.org import audit
from backoffice.services.org.audit import (
    AuditFilter,
    diff,
    list_audit,
    record,
    verify_chain,
    verify_chain_as,
)
from tests.unit.foundation_fixtures import add_member, count, last_audit


@pytest.fixture
def history(session, org):
    """A few member writes on top of the organisation's own set-up entries."""
    admin, reception = org.actors["admin"], org.actors["reception"]
    sh = add_member(session, reception, org.stores["SH01"], "13800000001", "王芳")
    gz = add_member(session, admin, org.stores["GZ01"], "13800000002", "李娜")
    update_member(
        session,
        reception,
        sh.id,
        MemberInput(name="王芳芳", phone="13800000001", home_store_id=org.stores["SH01"]),
    )
    change_member_status(session, admin, gz.id, "freeze", "挂失")
    session.commit()
    return {"sh": sh, "gz": gz}


def verify_fresh(engine):
    """Verify as the auditor would, in a new session that has seen nothing cached."""
    with Session(engine) as fresh:
        return verify_chain(fresh)


def tamper(session, sql: str, **params) -> None:
    session.execute(text(sql), params)
    session.commit()


# ---- the chain --------------------------------------------------------------------------


def test_chain_verifies_after_several_writes(engine, session, history):
    report = verify_fresh(engine)
    assert report.ok and report.problems == []
    assert report.checked == count(session, AuditEntry) >= 15


def test_a_batch_of_entries_continues_the_same_chain(engine, session, org, history):
    """record_many (the API's batched reads) chains exactly as one record() per entry."""
    admin = org.actors["admin"]
    before = session.exec(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    notes = [audit.Note(admin, "api.read", "api", f"GET /x/{i}", {"at": str(i)}) for i in range(5)]
    assert audit.record_many(session, notes) == 5
    record(session, admin, "member.update", target_type="member", target_id=1)
    session.commit()
    added = session.exec(
        select(AuditEntry).where(AuditEntry.id > before.id).order_by(AuditEntry.id)
    ).all()
    assert [e.id for e in added] == list(range(before.id + 1, before.id + 7))
    assert [e.target_id for e in added[:5]] == [f"GET /x/{i}" for i in range(5)]
    assert added[0].prev_hash == before.hash
    assert all(b.prev_hash == a.hash for a, b in zip(added, added[1:], strict=False))
    session.commit()  # let go of SQLite's write lock before the fresh session verifies
    assert verify_fresh(engine).ok
    tamper(session, "UPDATE auditentry SET target_id = 'GET /y' WHERE id = :i", i=before.id + 3)
    assert not verify_fresh(engine).ok


def test_each_entry_links_to_the_one_before(session, history):
    entries = session.exec(select(AuditEntry).order_by(AuditEntry.id)).all()
    assert entries[0].prev_hash == "0" * 64
    assert [e.id for e in entries] == list(range(1, len(entries) + 1))
    for previous, entry in zip(entries, entries[1:], strict=False):
        assert entry.prev_hash == previous.hash
        assert audit.entry_hash(entry.prev_hash, entry) == entry.hash


def test_editing_the_changes_of_an_entry_is_detected(engine, session, history):
    edit = last_audit(session, "members.update")
    tamper(
        session,
        """UPDATE auditentry SET changes = '{"name": ["王芳", "别人"]}' WHERE id = :id""",
        id=edit.id,
    )
    report = verify_fresh(engine)
    assert not report.ok
    assert report.problems == [f"entry {edit.id}: edited (its content does not match its MAC)"]


def test_editing_who_did_it_is_detected(engine, session, history):
    edit = last_audit(session, "members.update")
    tamper(session, "UPDATE auditentry SET actor_name = 'owner' WHERE id = :id", id=edit.id)
    assert f"entry {edit.id}: edited (its content does not match its MAC)" in (
        verify_fresh(engine).problems
    )


def test_an_edit_with_a_recomputed_hash_still_breaks_the_next_link(engine, session, history):
    edit = last_audit(session, "members.update")
    forged = AuditEntry(**{**edit.model_dump(), "changes": {"name": ["王芳", "别人"]}})
    tamper(
        session,
        """UPDATE auditentry SET changes = '{"name": ["王芳", "别人"]}', hash = :hash
           WHERE id = :id""",
        id=edit.id,
        hash=audit.entry_hash(edit.prev_hash, forged),
    )
    report = verify_fresh(engine)
    # (only someone holding the key could do this; the next entry still names it)
    assert report.problems == [
        f"entry {edit.id + 1}: re-chained: it does not link to entry {edit.id}"
    ]


def test_deleting_an_entry_is_detected(engine, session, history):
    victim = last_audit(session, "members.update")
    tamper(session, "DELETE FROM auditentry WHERE id = :id", id=victim.id)
    report = verify_fresh(engine)
    assert not report.ok
    assert report.problems == [f"entry {victim.id} deleted (the next entry is {victim.id + 1})"]


def test_deleting_the_newest_entry_is_detected(engine, session, history):
    newest = last_audit(session)
    tamper(session, "DELETE FROM auditentry WHERE id = :id", id=newest.id)
    report = verify_fresh(engine)
    assert report.problems == [f"the chain ends at entry {newest.id - 1}, head says {newest.id}"]


def test_verifying_requires_audit_read(session, history, org):
    assert verify_chain_as(session, org.actors["auditor"]).ok
    with pytest.raises(PermissionDenied):
        verify_chain_as(session, org.actors["owner"])


def test_entries_appended_across_transactions_keep_one_chain(engine, session, org):
    for n in range(3):
        record(session, org.actors["admin"], "test.note", changes={"n": n})
        session.commit()
    assert verify_fresh(engine).ok


# ---- what an entry holds ----------------------------------------------------------------


def test_member_edit_records_before_and_after_of_each_changed_field(session, org):
    reception, store = org.actors["reception"], org.stores["SH01"]
    member = add_member(session, reception, store, "13800000001", "王芳", tags=["新客"])
    update_member(
        session,
        reception,
        member.id,
        MemberInput(
            name="王芳芳",
            phone="13800000001",
            home_store_id=store,
            tags=["新客", "VIP"],
            custom={"skin_type": "干性"},
        ),
    )
    entry = last_audit(session, "members.update")
    assert entry.changes == {
        "name": ["王芳", "王芳芳"],
        "tags": [["新客"], ["VIP", "新客"]],
        "custom.skin_type": [None, "干性"],
    }
    assert (entry.target_type, entry.target_id) == ("member", str(member.id))
    assert (entry.actor_name, entry.role, entry.store_id) == ("reception", "reception", store)


def test_an_edit_that_changes_nothing_writes_no_entry(session, org):
    reception, store = org.actors["reception"], org.stores["SH01"]
    member = add_member(session, reception, store, "13800000001", "王芳")
    entries = count(session, AuditEntry)
    update_member(
        session,
        reception,
        member.id,
        MemberInput(name=" 王芳 ", phone="138 0000 0001", home_store_id=store),
    )
    assert count(session, AuditEntry) == entries


def test_member_creation_records_the_values_and_the_source(session, org):
    member = add_member(session, org.actors["reception"], org.stores["SH01"], "13800000001")
    changes = last_audit(session, "members.create").changes
    assert changes["source"] == "form"
    assert changes["name"] == [None, "会员"]
    assert changes["phone"] == [None, "+8613800000001"]
    assert changes["member_no"] == [None, member.member_no]
    assert "phone_tail" not in changes and "notes" not in changes


def test_diff_keeps_only_changed_fields():
    before = {"a": 1, "b": date(2020, 1, 1), "c": "same"}
    after = {"a": 2, "b": date(2020, 1, 2), "c": "same", "d": ["x"]}
    assert diff(before, after) == {
        "a": [1, 2],
        "b": ["2020-01-01", "2020-01-02"],
        "d": [None, ["x"]],
    }


# ---- reading the log --------------------------------------------------------------------


def actions(rows: list[AuditEntry]) -> list[str]:
    return [r.action for r in rows]


def test_reading_the_log_requires_audit_read(session, history, org):
    for username in ("owner", "reception", "reception_gz"):
        with pytest.raises(PermissionDenied):
            list_audit(session, org.actors[username], AuditFilter())


def test_log_is_newest_first_and_paged(session, history, org):
    total_entries = count(session, AuditEntry)
    rows, total = list_audit(session, org.actors["auditor"], AuditFilter(), page=1, page_size=2)
    assert total == total_entries
    assert [r.id for r in rows] == [total_entries, total_entries - 1]
    rows, _ = list_audit(session, org.actors["auditor"], AuditFilter(), page=2, page_size=2)
    assert [r.id for r in rows] == [total_entries - 2, total_entries - 3]


def test_log_filters_by_actor_name(session, history, org):
    rows, total = list_audit(session, org.actors["auditor"], AuditFilter(actor="recep"))
    assert total == 2
    assert actions(rows) == ["members.update", "members.create"]


def test_log_filters_by_role(session, history, org):
    rows, _ = list_audit(session, org.actors["auditor"], AuditFilter(role="reception"))
    assert {r.actor_name for r in rows} == {"reception"}
    rows, _ = list_audit(session, org.actors["auditor"], AuditFilter(role="hq_auditor"))
    assert rows == []


def test_log_filters_by_store(session, history, org):
    rows, _ = list_audit(session, org.actors["auditor"], AuditFilter(store_id=org.stores["GZ01"]))
    assert actions(rows) == ["members.freeze", "members.create", "stores.create"]


def test_log_filters_by_action_prefix(session, history, org):
    rows, _ = list_audit(session, org.actors["auditor"], AuditFilter(action="members."))
    assert actions(rows) == [
        "members.freeze",
        "members.update",
        "members.create",
        "members.create",
    ]
    rows, _ = list_audit(session, org.actors["auditor"], AuditFilter(action="members.freeze"))
    assert actions(rows) == ["members.freeze"]


def test_log_filters_by_target(session, history, org):
    member_id = str(history["sh"].id)
    rows, _ = list_audit(
        session,
        org.actors["auditor"],
        AuditFilter(target_type="member", target_id=member_id),
    )
    assert actions(rows) == ["members.update", "members.create"]


def test_log_filters_by_date_range(session, org, monkeypatch):
    admin = org.actors["admin"]
    for day in (10, 11, 12):
        at = datetime(2026, 1, day, 12, 0, tzinfo=UTC)
        monkeypatch.setattr(audit, "utcnow", lambda at=at: at)
        record(session, admin, "test.day", changes={"day": day})
    monkeypatch.undo()

    def days(**dates) -> list[int]:
        rows, _ = list_audit(session, org.actors["auditor"], AuditFilter(action="test.", **dates))
        return [r.changes["day"] for r in rows]

    assert days() == [12, 11, 10]
    assert days(date_from=date(2026, 1, 11)) == [12, 11]
    assert days(date_to=date(2026, 1, 11)) == [11, 10]
    assert days(date_from=date(2026, 1, 11), date_to=date(2026, 1, 11)) == [11]
    assert days(date_from=date(2026, 1, 13)) == []


def test_log_filters_combine(session, history, org):
    rows, total = list_audit(
        session,
        org.actors["admin"],
        AuditFilter(actor="admin", store_id=org.stores["GZ01"], action="members."),
    )
    assert total == 2 and actions(rows) == ["members.freeze", "members.create"]


def test_a_store_scoped_reader_sees_only_entries_of_its_stores(session, history, org):
    # No seeded store role reads the log; if one is ever granted audit.read, scope applies.
    owner = org.actors["owner"]
    reader = dataclasses.replace(owner, permissions=owner.permissions | {"audit.read"})
    rows, _ = list_audit(session, reader, AuditFilter())
    assert rows and {r.store_id for r in rows} <= {org.stores["SH01"], org.stores["BJ01"]}
