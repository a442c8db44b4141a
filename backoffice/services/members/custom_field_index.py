"""SQL for filtering members by a custom field, and the expression index that makes it fast.

Custom values live in Member.custom (JSON). Filtering 1M members by one of them is a full
scan unless the database has an index on exactly the same expression, so both the filter
and the index are written here, from one expression, with the key inlined (keys are
validated as [a-z][a-z0-9_]*, so inlining is safe and lets the planner match the index).
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import ColumnClause, literal_column, text
from sqlalchemy.sql import ColumnElement
from sqlmodel import Session

from backoffice.models import FieldType

_SAFE_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
INDEXED_TYPES = {
    FieldType.TEXT,
    FieldType.NUMBER,
    FieldType.DATE,
    FieldType.CHOICE,
    FieldType.BOOLEAN,
}


def _check(key: str) -> str:
    if not _SAFE_KEY.match(key):
        raise ValueError(f"unsafe custom field key {key!r}")
    return key


def value_sql(dialect: str, key: str) -> str:
    """The one expression used by both the filter and the index."""
    key = _check(key)
    if dialect == "sqlite":
        return f"json_extract(custom, '$.{key}')"
    return f"(custom ->> '{key}')"


def custom_equals(
    session: Session, key: str, field_type: FieldType, value: Any
) -> ColumnElement[bool]:
    """member.custom[key] == value, written so the expression index can serve it."""
    dialect = session.get_bind().dialect.name
    expr: ColumnClause[Any] = literal_column(
        value_sql(dialect, key).replace("custom", "member.custom", 1)
    )
    if field_type == FieldType.BOOLEAN:
        if dialect == "sqlite":
            return expr == (1 if value else 0)
        return expr == ("true" if value else "false")
    if field_type == FieldType.NUMBER:
        if dialect == "sqlite":
            return expr == value
        return expr == str(value)
    return expr == str(value)


def custom_contains(session: Session, key: str, value: str, index: int) -> Any:
    """A multi-choice field whose list holds `value` (not indexable; scans the list)."""
    key = _check(key)
    if session.get_bind().dialect.name == "sqlite":
        return text(
            f"EXISTS (SELECT 1 FROM json_each(member.custom, '$.{key}') "
            f"WHERE json_each.value = :mc{index})"
        ).bindparams(**{f"mc{index}": value})
    return text(
        f"(member.custom::jsonb -> '{key}') @> jsonb_build_array(CAST(:mc{index} AS text))"
    ).bindparams(**{f"mc{index}": value})


def index_name(key: str) -> str:
    return f"ix_member_custom_{_check(key)}"


def ensure_custom_field_index(session: Session, key: str, field_type: FieldType) -> None:
    """Create the expression index for a new filterable field (data-driven, like the field)."""
    if field_type not in INDEXED_TYPES:
        return
    dialect = session.get_bind().dialect.name
    session.exec(
        text(  # type: ignore[call-overload]  # sqlmodel's exec() overloads omit text(); it runs it
            f"CREATE INDEX IF NOT EXISTS {index_name(key)} ON member ({value_sql(dialect, key)})"
        )
    )
