"""Column helpers shared by the tables."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Aware UTC timestamp (SQLModel's UTCDateTime columns refuse naive ones)."""
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """A naive instant read back from SQLite or written by RQ is UTC: make it aware."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)
