"""Exports never hand a spreadsheet a formula; names are stored without invisible tricks."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from backoffice.errors import ValidationFailed
from backoffice.services.members.csv_io import _read_rows, export_members_csv
from backoffice.services.members.names import normalize_name
from backoffice.services.members.search import MemberQuery
from backoffice.services.reports.exports import _csv, _xlsx
from backoffice.services.spreadsheet_cells import safe_cell
from tests.unit.foundation_fixtures import add_member

HOSTILE = ['=HYPERLINK("http://evil","x")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]


@pytest.mark.parametrize("value", HOSTILE)
def test_a_cell_that_could_start_a_formula_is_written_as_text(value):
    assert safe_cell(value) == "'" + value


def test_plain_text_and_numbers_are_left_alone():
    assert [safe_cell(v) for v in ("王芳", "a=b", "", -5, 1.5)] == ["王芳", "a=b", "", -5, 1.5]


def test_member_export_quotes_a_formula_name_and_reimports_it_unchanged(session, org):
    admin = org.actors["admin"]
    add_member(session, admin, org.stores["SH01"], "13800000001", name=HOSTILE[0])
    text, _ = export_members_csv(session, admin, MemberQuery())
    rows = list(csv.DictReader(io.StringIO(text[1:])))
    assert [r["name"] for r in rows] == ["'" + HOSTILE[0]]
    # the same file read back by the import: the quote the export added is taken off
    _, read_back = _read_rows(text.encode())
    assert [r["name"] for r in read_back] == [HOSTILE[0]]


def test_report_csv_and_excel_quote_formula_cells_but_keep_numbers():
    rows = [[name, -1200] for name in HOSTILE]
    got = list(csv.reader(io.StringIO(_csv(["=h", "n"], rows, None).decode("utf-8-sig"))))
    assert got[0] == ["'=h", "n"] and [r[0] for r in got[1:]] == ["'" + v for v in HOSTILE]
    sheet = load_workbook(io.BytesIO(_xlsx(["=h", "n"], rows, "t", None))).active
    values = list(sheet.values)
    assert values[0] == ("'=h", "n")
    # (the file format turns a lone CR into LF; the quote in front is what matters)
    assert [v[0][:2] for v in values[1:]] == ["'" + v[0].replace("\r", "\n") for v in HOSTILE]
    assert all(v[1] == -1200 for v in values[1:])


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("  李\u200b娜  ", "李娜"),
        ("Ｌｉ　Ｎａ", "Li Na"),  # full-width letters and space
        ("abc\u202eexe.txt", "abcexe.txt"),  # right-to-left override
        ("\u2066王\u2069芳\u200d", "王芳"),
        ("a\tb\nc", "a b c"),
    ],
)
def test_names_are_folded_and_lose_invisible_characters(raw, stored):
    assert normalize_name(raw) == stored


def test_a_name_of_only_invisible_characters_is_required(session, org):
    with pytest.raises(ValidationFailed) as exc:
        add_member(
            session,
            org.actors["admin"],
            org.stores["SH01"],
            "13800000002",
            name="\u200b\u200c\u202e",
        )
    assert exc.value.errors["name"] == "error.required"


def test_a_stored_name_is_the_normalised_one(session, org):
    member = add_member(
        session, org.actors["admin"], org.stores["SH01"], "13800000003", name="Ｌｉ\u200b"
    )
    assert member.name == "Li"
