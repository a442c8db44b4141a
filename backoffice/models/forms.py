"""Custom member fields designed by HQ: the member form and list filters follow them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from backoffice.models.base import utcnow


class FieldType(StrEnum):
    TEXT = "text"
    NUMBER = "number"
    DATE = "date"
    CHOICE = "choice"
    MULTI_CHOICE = "multi_choice"
    BOOLEAN = "boolean"


class FormField(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=40, unique=True, index=True)
    label: str = Field(max_length=100)
    type: FieldType = Field(default=FieldType.TEXT, max_length=20)
    options: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    required: bool = False
    hidden: bool = False
    position: int = 0
    help_text: str = Field(default="", max_length=300)
    member_editable: bool = False
    created_at: datetime = Field(default_factory=utcnow)
