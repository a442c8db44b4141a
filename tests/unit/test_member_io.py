"""CSV import (dry run first, then all or nothing) and CSV export of the filtered list."""

from __future__ import annotations

import csv
import dataclasses
import io

import pytest
from sqlmodel import select

from backoffice.errors import PermissionDenied, ValidationFailed
from backoffice.models import AuditEntry, Member, Store
from backoffice.services.members.csv_io import (
    BASE_COLUMNS,
    dry_run_import,
    export_members_csv,
    import_members,
    problems_text,
    template_csv,
)
from backoffice.services.members.profiles import member_tags
from backoffice.services.members.search import MemberQuery, iter_members
from backoffice.services.members.status import change_member_status
from backoffice.services.org.stores import StoreInput, update_store
from tests.unit.foundation_fixtures import add_member, changed_tables, count, snapshot


def csv_bytes(*lines: str, encoding: str = "utf-8") -> bytes:
    return ("\n".join(lines) + "\n").encode(encoding)


def problems(report) -> list[tuple[int, str, str]]:
    return [(p.row, p.field, p.message) for p in report.problems]


# ---- import: every bad row is reported ------------------------------------------------

MESSY = csv_bytes(
    "name,phone,store_code,skin_type,member_no",
    "好会员,13800000001,SH01,干性,",  # row 2: fine
    "坏电话,12345,SH01,,",  # row 3
    "未知店,13800000003,XX99,,",  # row 4
    "越权,13800000004,GZ01,,",  # row 5: the owner has SH01 + BJ01 only
    "重复,138 0000 0001,SH01,,",  # row 6: same phone as row 2
    "老会员,13900000000,BJ01,,",  # row 7: already a member
    "坏值,13800000008,BJ01,中性,",  # row 8: not a skin type
    ",13800000009,SH01,,",  # row 9: no name
    "卡号重复,13800000010,SH01,,OLD1",  # row 10: fine
    "卡号重复2,13800000011,SH01,,old1",  # row 11: same card number as row 10
)
MESSY_PROBLEMS = [
    (3, "phone", "error.phone_invalid"),
    (4, "store_code", "error.store_unknown"),
    (5, "store_code", "error.store_scope"),
    (6, "phone", "error.duplicate_in_file"),
    (7, "phone", "error.phone_duplicate"),
    (8, "custom.skin_type", "error.choice"),
    (9, "name", "error.required"),
    (11, "member_no", "error.duplicate_in_file"),
]


@pytest.fixture
def existing(session, org) -> Member:
    member = add_member(session, org.actors["admin"], org.stores["GZ01"], "13900000000", "老会员")
    session.commit()
    return member


def test_dry_run_reports_every_bad_row_with_its_number_and_field(session, org, existing):
    report = dry_run_import(session, org.actors["owner"], MESSY)
    assert (report.total_rows, report.valid_rows, report.imported) == (10, 2, 0)
    assert problems(report) == MESSY_PROBLEMS
    assert report.problems[3].params == {"row": 2}
    assert report.problems[7].params == {"row": 10}
    assert not report.ok


def test_dry_run_writes_nothing(session, org, existing):
    clean = csv_bytes("name,phone,store_code", "王芳,13800000001,SH01")
    before = snapshot(session)
    report = dry_run_import(session, org.actors["owner"], clean)
    assert report.ok and report.valid_rows == 1
    assert changed_tables(before, snapshot(session)) == []


def test_import_with_any_bad_row_imports_nothing(session, org, existing):
    before = snapshot(session)
    report = import_members(session, org.actors["owner"], MESSY)
    assert report.imported == 0 and problems(report) == MESSY_PROBLEMS
    assert changed_tables(before, snapshot(session)) == []


def test_problems_read_as_one_line_each(session, org, existing):
    report = dry_run_import(session, org.actors["owner"], MESSY)
    lines = problems_text(report, "en")
    assert lines[0] == "Row 3 · phone: Not a valid phone number"
    assert lines[3] == "Row 6 · phone: Duplicate in the file (row 2)"
    assert problems_text(report, "zh-CN")[0] == "第 3 行 · phone: 手机号码无效"


def test_inactive_store_is_an_unknown_store(session, org):
    store = session.get(Store, org.stores["BJ01"])
    update_store(
        session,
        org.actors["admin"],
        store.id,
        StoreInput(code=store.code, name=store.name, active=False),
    )
    report = dry_run_import(
        session, org.actors["owner"], csv_bytes("name,phone,store_code", "王芳,13800000001,BJ01")
    )
    assert problems(report) == [(2, "store_code", "error.store_unknown")]


def test_card_number_already_in_use_is_reported(session, org):
    add_member(session, org.actors["admin"], org.stores["SH01"], "13800000001", member_no="OLD7")
    report = dry_run_import(
        session,
        org.actors["admin"],
        csv_bytes("member_no,name,phone,store_code", "old7,王芳,13800000002,SH01"),
    )
    assert problems(report) == [(2, "member_no", "error.member_no_taken")]


def test_row_without_a_store_code_is_a_store_code_error(session, org):
    report = dry_run_import(
        session, org.actors["admin"], csv_bytes("name,phone,store_code", "王芳,13800000001,")
    )
    assert problems(report) == [(2, "store_code", "error.required")]


# ---- import: a clean file -------------------------------------------------------------


def test_clean_file_imports_every_row_with_an_audit_entry_each(session, org):
    content = csv_bytes(
        "member_no,name,phone,gender,birthday,email,store_code,tags,notes,joined_at,"
        "skin_type,interests,marketing_ok",
        "OLD001,王芳,13800000001,female,1990-05-17,wf@example.com,sh01,VIP|老客,熟客,"
        "2019-03-01,干性,护肤|美发,是",
        ",李娜,+86 139 0000 0002,,,,BJ01,,,,,,",
        ",张伟,15000000003,male,,,SH01,新客;学生,,,油性,美甲,no",
    )
    entries = count(session, AuditEntry)
    report = import_members(session, org.actors["owner"], content)
    assert report.ok and (report.total_rows, report.valid_rows, report.imported) == (3, 3, 3)

    members = {m.name: m for m in session.exec(select(Member)).all()}
    assert set(members) == {"王芳", "李娜", "张伟"}
    wang = members["王芳"]
    assert (wang.member_no, wang.phone, wang.home_store_id) == (
        "OLD001",
        "+8613800000001",
        org.stores["SH01"],
    )
    assert wang.birthday.isoformat() == "1990-05-17" and wang.joined_at.year == 2019
    assert wang.custom == {"skin_type": "干性", "interests": ["美发", "护肤"], "marketing_ok": True}
    assert member_tags(session, wang.id) == ["VIP", "老客"]
    assert member_tags(session, members["张伟"].id) == ["学生", "新客"]
    assert members["李娜"].member_no == f"M{members['李娜'].id:08d}"

    new_entries = session.exec(select(AuditEntry).where(AuditEntry.id > entries)).all()
    assert [e.action for e in new_entries] == ["members.create"] * 3 + ["members.import"]
    assert all(e.changes["source"] == "import" for e in new_entries[:3])
    assert new_entries[-1].changes == {"rows": 3}


def test_gbk_encoded_csv_from_excel_is_read(session, org):
    content = csv_bytes(
        "name,phone,store_code,skin_type", "王芳,13800000001,SH01,干性", encoding="gbk"
    )
    with pytest.raises(UnicodeDecodeError):
        content.decode("utf-8")
    report = import_members(session, org.actors["admin"], content)
    assert report.imported == 1
    member = session.exec(select(Member)).one()
    assert (member.name, member.custom["skin_type"]) == ("王芳", "干性")


def test_utf8_with_byte_order_mark_and_padded_headers_is_read(session, org):
    content = "\ufeff name , phone ,store_code\n王芳,13800000001,SH01\n".encode()
    assert import_members(session, org.actors["admin"], content).imported == 1


def test_missing_required_column_is_a_file_error(session, org):
    with pytest.raises(ValidationFailed) as err:
        dry_run_import(session, org.actors["admin"], csv_bytes("name,store_code", "王芳,SH01"))
    assert err.value.errors == {"file": "error.csv_header"}
    assert err.value.params == {"columns": "phone"}


def test_file_without_data_rows_is_a_file_error(session, org):
    with pytest.raises(ValidationFailed) as err:
        import_members(session, org.actors["admin"], csv_bytes("name,phone,store_code"))
    assert err.value.errors == {"file": "error.csv_empty"}


def test_file_that_is_not_text_is_a_file_error(session, org):
    with pytest.raises(ValidationFailed) as err:
        import_members(session, org.actors["admin"], b"\x81\x30\xff\xfe\x00binary")
    assert err.value.errors == {"file": "error.csv_encoding"}


def test_importing_requires_members_import(session, org):
    content = csv_bytes("name,phone,store_code", "王芳,13800000001,SH01")
    for username in ("reception", "auditor"):
        with pytest.raises(PermissionDenied):
            dry_run_import(session, org.actors[username], content)
        with pytest.raises(PermissionDenied):
            import_members(session, org.actors[username], content)
    assert count(session, Member) == 0


def test_template_lists_the_base_columns_and_the_custom_fields(session, org):
    header = template_csv(session).strip().split(",")
    assert header == BASE_COLUMNS + ["wechat", "skin_type", "interests", "marketing_ok"]


# ---- export ---------------------------------------------------------------------------


@pytest.fixture
def members(session, org) -> dict[str, Member]:
    admin, s = org.actors["admin"], org.stores
    people = {
        "wang": add_member(
            session, admin, s["SH01"], "13800000001", "王芳", email="wf@example.com",
            tags=["VIP", "老客"],
            custom={"skin_type": "干性", "interests": ["护肤", "美发"], "marketing_ok": True},
        ),
        "li": add_member(session, admin, s["BJ01"], "13900000002", "李娜", tags=["VIP"]),
        "zhang": add_member(session, admin, s["GZ01"], "15000000003", "张伟", tags=["VIP"]),
    }  # fmt: skip
    session.commit()
    return people


def read_export(text: str) -> list[dict[str, str]]:
    assert text.startswith("\ufeff")  # so Excel opens it as UTF-8
    return list(csv.DictReader(io.StringIO(text[1:])))


def test_export_writes_the_filtered_members_in_scope(session, org, members):
    text, total = export_members_csv(session, org.actors["owner"], MemberQuery(tag="VIP"))
    rows = read_export(text)
    assert total == 2 and [r["name"] for r in rows] == ["王芳", "李娜"]
    wang = rows[0]
    assert wang["member_no"] == members["wang"].member_no
    assert (wang["phone"], wang["email"], wang["store_code"]) == (
        "13800000001",
        "wf@example.com",
        "SH01",
    )
    assert (wang["tags"], wang["status"]) == ("VIP|老客", "active")
    assert (wang["skin_type"], wang["interests"], wang["marketing_ok"]) == (
        "干性",
        "美发|护肤",
        "True",
    )


def test_export_respects_every_filter(session, org, members):
    admin = org.actors["admin"]
    change_member_status(session, admin, members["li"].id, "freeze", "挂失")

    def names(query: MemberQuery) -> list[str]:
        return [r["name"] for r in read_export(export_members_csv(session, admin, query)[0])]

    assert names(MemberQuery()) == ["王芳", "李娜", "张伟"]
    assert names(MemberQuery(status="frozen")) == ["李娜"]
    assert names(MemberQuery(store_id=org.stores["GZ01"])) == ["张伟"]
    assert names(MemberQuery(custom={"skin_type": "干性"})) == ["王芳"]
    assert names(MemberQuery(q="13900000002")) == ["李娜"]


def test_export_of_a_store_outside_the_scope_is_empty(session, org, members):
    text, total = export_members_csv(
        session, org.actors["owner"], MemberQuery(store_id=org.stores["GZ01"])
    )
    assert total == 0 and read_export(text) == []


def test_export_masks_phones_and_drops_emails_without_pii_view(session, org, members):
    owner = org.actors["owner"]
    no_pii = dataclasses.replace(owner, permissions=owner.permissions - {"pii.view"})
    text, _ = export_members_csv(session, no_pii, MemberQuery(store_id=org.stores["SH01"]))
    (row,) = read_export(text)
    assert (row["phone"], row["email"]) == ("138****0001", "")
    assert "13800000001" not in text and "wf@example.com" not in text
    entry = session.exec(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert entry.changes["pii"] is False


def test_export_is_audited_with_its_filter_and_row_count(session, org, members):
    export_members_csv(session, org.actors["owner"], MemberQuery(tag="VIP", status="active"))
    entry = session.exec(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert (entry.action, entry.actor_name, entry.target_type) == (
        "members.export",
        "owner",
        "export",
    )
    assert entry.changes == {
        "rows": 2,
        "filter": {"q": "", "store_id": None, "status": "active", "tag": "VIP", "custom": {}},
        "pii": True,
    }


def test_exporting_requires_members_export(session, org, members):
    entries = count(session, AuditEntry)
    for username in ("reception", "auditor"):
        with pytest.raises(PermissionDenied):
            export_members_csv(session, org.actors[username], MemberQuery())
    assert count(session, AuditEntry) == entries


def test_export_reads_in_batches_without_losing_or_repeating_rows(session, org):
    admin = org.actors["admin"]
    for n in range(7):
        add_member(session, admin, org.stores["SH01"], f"1380000{n:04d}", f"会员{n}")
    batches = list(iter_members(session, admin, MemberQuery(), batch=3))
    assert [len(b) for b in batches] == [3, 3, 1]
    ids = [m.id for batch in batches for m, _tags in batch]
    assert ids == sorted(ids) and len(set(ids)) == 7


def test_an_export_can_be_imported_elsewhere(session, org, members):
    text, _ = export_members_csv(
        session, org.actors["admin"], MemberQuery(store_id=org.stores["SH01"])
    )
    # A fresh chain would accept the file as it is: here the phones are taken, and only that.
    report = dry_run_import(session, org.actors["admin"], text.encode())
    assert problems(report) == [(2, "phone", "error.phone_duplicate")]
