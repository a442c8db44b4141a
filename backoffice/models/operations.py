"""Operations alerts: one row per alert rule and subject, its state kept in the database so
that every process (scheduler, workers, web app) agrees whether it is open, and an opening
is announced once."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from backoffice.models.base import utcnow


class OperationsAlert(SQLModel, table=True):
    """An alert rule's state for one subject (e.g. "channel_failures:sms").

    Open while `closed_at` is None. `opened_at` names the current (or last) opening; the
    notification for that opening is recorded in `notified_at` / `notify_error`."""

    key: str = Field(primary_key=True, max_length=60)
    rule: str = Field(max_length=40)
    subject: str = Field(default="", max_length=40)
    detail: str = Field(default="", max_length=500)
    opened_at: datetime = Field(default_factory=utcnow)
    closed_at: datetime | None = None
    notified_at: datetime | None = None
    notify_error: str = Field(default="", max_length=500)
    updated_at: datetime = Field(default_factory=utcnow)
