"""Column helpers shared by the tables."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Aware UTC timestamp (SQLModel's UTCDateTime columns refuse naive ones)."""
    return datetime.now(UTC)
