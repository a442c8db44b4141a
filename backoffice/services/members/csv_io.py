"""CSV import (dry run, then all-or-nothing) and CSV export of the filtered member list."""

from __future__ import annotations

import csv
import dataclasses
import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from backoffice.errors import DomainError, ValidationFailed
from backoffice.i18n import t
from backoffice.models import Member, Store
from backoffice.services.members import forms
from backoffice.services.members.profiles import MemberInput, create_member, validate_member
from backoffice.services.members.search import MemberQuery, iter_members
from backoffice.services.org import audit
from backoffice.services.org.access import Actor, require
from backoffice.services.phones import display_phone, mask_phone
from backoffice.services.spreadsheet_cells import safe_row, unescape_cell

MAX_IMPORT_ROWS = 200_000
BASE_COLUMNS = [
    "member_no",
    "name",
    "phone",
    "gender",
    "birthday",
    "email",
    "store_code",
    "tags",
    "notes",
    "joined_at",
]
REQUIRED_COLUMNS = ["name", "phone", "store_code"]
Progress = Callable[[int, int], None]


@dataclass
class RowProblem:
    row: int  # 1-based data row number as a spreadsheet shows it (header is row 1)
    field: str
    message: str  # catalog key
    # dataclasses.field: within this class `field` is the attribute above, to a type checker
    params: dict[str, Any] = dataclasses.field(default_factory=dict)


@dataclass
class ImportReport:
    total_rows: int
    valid_rows: int
    problems: list[RowProblem]
    imported: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems and self.total_rows > 0


def template_csv(session: Session) -> str:
    """A header row the shop can fill in: base columns plus the custom field keys."""
    columns = BASE_COLUMNS + [f.key for f in forms.list_fields(session)]
    return ",".join(columns) + "\n"


def _read_rows(content: bytes) -> tuple[list[str], list[dict[str, str]]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = content.decode("gb18030")  # Excel on Chinese Windows saves CSV as GBK
        except UnicodeDecodeError as exc:
            raise ValidationFailed({"file": "error.csv_encoding"}) from exc
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    reader.fieldnames = header
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        err = ValidationFailed({"file": "error.csv_header"})
        err.params = {"columns": ", ".join(missing)}
        raise err
    rows = []
    for raw in reader:
        rows.append({k: unescape_cell((v or "").strip()) for k, v in raw.items() if k is not None})
        if len(rows) > MAX_IMPORT_ROWS:
            err = ValidationFailed({"file": "error.csv_too_big"})
            err.params = {"rows": MAX_IMPORT_ROWS}
            raise err
    if not rows:
        raise ValidationFailed({"file": "error.csv_empty"})
    return header, rows


def _to_input(
    row: dict[str, str], stores: dict[str, int | None], custom_keys: list[str]
) -> MemberInput:
    return MemberInput(
        member_no=row.get("member_no", ""),
        name=row.get("name", ""),
        phone=row.get("phone", ""),
        gender=row.get("gender") or "unknown",
        birthday=row.get("birthday") or None,
        email=row.get("email", ""),
        home_store_id=stores.get(row.get("store_code", "").upper()),
        tags=[x for x in row.get("tags", "").replace(";", "|").split("|") if x.strip()],
        notes=row.get("notes", ""),
        joined_at=row.get("joined_at") or None,
        custom={k: row.get(k, "") for k in custom_keys},
    )


def _check_rows(
    session: Session, actor: Actor, rows: list[dict[str, str]], progress: Progress | None
) -> tuple[list[MemberInput], list[RowProblem]]:
    stores = {s.code: s.id for s in session.exec(select(Store)).all() if s.active}
    fields = forms.list_fields(session)
    custom_keys = [f.key for f in fields]
    problems: list[RowProblem] = []
    inputs: list[MemberInput] = []
    seen_phone: dict[str, int] = {}
    seen_no: dict[str, int] = {}
    # Existing phones / numbers are looked up in bulk, not one query per row.
    candidates: list[tuple[int, MemberInput, dict[str, Any]]] = []
    for index, row in enumerate(rows, start=2):
        data = _to_input(row, stores, custom_keys)
        if row.get("store_code") and data.home_store_id is None:
            problems.append(RowProblem(index, "store_code", "error.store_unknown"))
            continue
        if data.home_store_id is not None and not actor.in_scope(data.home_store_id):
            problems.append(RowProblem(index, "store_code", "error.store_scope"))
            continue
        try:
            values = validate_member(session, data, fields)
        except ValidationFailed as exc:
            for name, message in exc.errors.items():
                problems.append(
                    RowProblem(index, "store_code" if name == "home_store_id" else name, message)
                )
            continue
        if values["phone"] in seen_phone:
            problems.append(
                RowProblem(
                    index, "phone", "error.duplicate_in_file", {"row": seen_phone[values["phone"]]}
                )
            )
            continue
        seen_phone[values["phone"]] = index
        if "member_no" in values:
            if values["member_no"] in seen_no:
                problems.append(
                    RowProblem(
                        index,
                        "member_no",
                        "error.duplicate_in_file",
                        {"row": seen_no[values["member_no"]]},
                    )
                )
                continue
            seen_no[values["member_no"]] = index
        candidates.append((index, data, values))
        if progress and index % 500 == 0:
            progress(index - 1, len(rows) * 2)
    phones = [v["phone"] for _, _, v in candidates]
    taken_phones: set[str] = set()
    for start in range(0, len(phones), 500):
        taken_phones |= set(
            session.exec(
                select(Member.phone).where(col(Member.phone).in_(phones[start : start + 500]))
            ).all()
        )
    numbers = [v["member_no"] for _, _, v in candidates if "member_no" in v]
    taken_numbers: set[str] = set()
    for start in range(0, len(numbers), 500):
        taken_numbers |= set(
            session.exec(
                select(Member.member_no).where(
                    col(Member.member_no).in_(numbers[start : start + 500])
                )
            ).all()
        )
    for index, data, values in candidates:
        if values["phone"] in taken_phones:
            problems.append(RowProblem(index, "phone", "error.phone_duplicate"))
        elif values.get("member_no") in taken_numbers:
            problems.append(RowProblem(index, "member_no", "error.member_no_taken"))
        else:
            inputs.append(data)
    problems.sort(key=lambda p: (p.row, p.field))
    return inputs, problems


def dry_run_import(
    session: Session, actor: Actor, content: bytes, progress: Progress | None = None
) -> ImportReport:
    """Check every row and report each one that would fail; writes nothing."""
    require(actor, "members.import")
    _header, rows = _read_rows(content)
    inputs, problems = _check_rows(session, actor, rows, progress)
    return ImportReport(total_rows=len(rows), valid_rows=len(inputs), problems=problems)


def import_members(
    session: Session, actor: Actor, content: bytes, progress: Progress | None = None
) -> ImportReport:
    """Import all rows or none: any problem and nothing is written (the caller rolls back)."""
    require(actor, "members.import")
    _header, rows = _read_rows(content)
    inputs, problems = _check_rows(session, actor, rows, progress)
    report = ImportReport(total_rows=len(rows), valid_rows=len(inputs), problems=problems)
    if problems:
        return report
    total = len(inputs)
    for done, data in enumerate(inputs, start=1):
        try:
            create_member(session, actor, data, source="import")
        except DomainError as exc:  # a race with another writer since the check
            report.problems.append(RowProblem(done + 1, exc.field or "", exc.message, exc.params))
            return report
        if progress and (done % 200 == 0 or done == total):
            progress(total + done, total * 2)
    audit.record(session, actor, "members.import", target_type="import", changes={"rows": total})
    report.imported = total
    return report


def problems_text(report: ImportReport, locale: str) -> list[str]:
    """Each problem as one readable line: "Row 7 · phone: Not a valid phone number"."""
    return [
        f"{t(locale, 'import.row_n', row=p.row)} · {p.field}: {t(locale, p.message, **p.params)}"
        for p in report.problems
    ]


def export_members_csv(
    session: Session, actor: Actor, query: MemberQuery, progress: Progress | None = None
) -> tuple[str, int]:
    """The filtered list as CSV (all pages), audited; phones masked without pii.view."""
    require(actor, "members.export")
    fields = forms.list_fields(session)
    stores = {s.id: s.code for s in session.exec(select(Store)).all()}
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(safe_row(BASE_COLUMNS + ["status"] + [f.key for f in fields]))
    pii = actor.can("pii.view")
    total = 0
    for batch in iter_members(session, actor, query):
        for member, tags in batch:
            custom = member.custom or {}
            writer.writerow(
                safe_row(
                    [
                        member.member_no,
                        member.name,
                        display_phone(member.phone) if pii else mask_phone(member.phone),
                        member.gender.value,
                        member.birthday.isoformat() if member.birthday else "",
                        member.email if pii else "",
                        stores.get(member.home_store_id, ""),
                        "|".join(tags),
                        member.notes,
                        member.joined_at.date().isoformat(),
                        member.status.value,
                        *[
                            "|".join(v) if isinstance(v := custom.get(f.key, ""), list) else v
                            for f in fields
                        ],
                    ]
                )
            )
            total += 1
        if progress:
            progress(total, total)
    audit.record(
        session,
        actor,
        "members.export",
        target_type="export",
        changes={
            "rows": total,
            "filter": {
                "q": query.q,
                "store_id": query.store_id,
                "status": query.status,
                "tag": query.tag,
                "custom": query.custom,
            },
            "pii": pii,
        },
    )
    return "\ufeff" + out.getvalue(), total
