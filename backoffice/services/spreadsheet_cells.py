"""Cells that a spreadsheet would run as a formula are written as text.

Excel, LibreOffice and Sheets treat a cell starting with = + - @ (or a tab or carriage
return before one) as a formula, so a member named `=HYPERLINK(...)` in an export would run
on the reader's machine (CSV/formula injection, OWASP). Such a text cell gets a leading
apostrophe, which the spreadsheet shows as plain text; numbers are left as numbers.
Re-importing an exported file takes the apostrophe off again (`unescape_cell`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """The value as a spreadsheet should store it: text that could start a formula is quoted."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_row(values: Iterable[Any]) -> list[Any]:
    return [safe_cell(v) for v in values]


def unescape_cell(value: str) -> str:
    """An exported cell read back: the apostrophe safe_cell added is dropped."""
    if value.startswith("'") and value[1:].startswith(FORMULA_STARTS):
        return value[1:]
    return value
