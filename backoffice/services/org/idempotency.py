"""Idempotency records of API writes: one row per (API key, Idempotency-Key), reserved before
the write runs and holding its answer once it committed. The protocol (own transactions,
waiting for a twin, taking over a dead call's record) is `api/calls.py`'s; these are its
statements, each run in the session the caller gives."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, delete, select, update

from backoffice.models import IdempotencyRecord
from backoffice.models.base import utcnow

# (id, created_at): SQLite may give a taken-over record's id to its successor, so the id
# alone does not name one call's record.
RecordRef = tuple[int, datetime]


@dataclass(frozen=True)
class StoredCall:
    """What a twin call needs to know about the first call with the same key."""

    ref: RecordRef
    method_path: str
    request_hash: str
    status: int  # 0 while the first call is still running
    response: Any

    def pending_for(self, seconds: float) -> bool:
        """Still without an answer after `seconds` (its call most likely died)."""
        return not self.status and utcnow() - self.ref[1] >= timedelta(seconds=seconds)


def _this(ref: RecordRef) -> Any:
    return (IdempotencyRecord.id == ref[0]) & (IdempotencyRecord.created_at == ref[1])


def reserve(
    session: Session, api_key_id: int, key: str, method_path: str, request_hash: str
) -> RecordRef:
    """Insert the pending record; the unique (key, Idempotency-Key) raises IntegrityError
    on flush when another call holds it."""
    record = IdempotencyRecord(
        api_key_id=api_key_id, key=key, method_path=method_path, request_hash=request_hash
    )
    session.add(record)
    session.flush()
    return record.id or 0, record.created_at


def find(session: Session, api_key_id: int, key: str) -> StoredCall | None:
    """The record holding this key, if any."""
    record = session.exec(
        select(IdempotencyRecord).where(
            IdempotencyRecord.api_key_id == api_key_id, IdempotencyRecord.key == key
        )
    ).first()
    if record is None:
        return None
    return StoredCall(
        ref=(record.id or 0, record.created_at),
        method_path=record.method_path,
        request_hash=record.request_hash,
        status=record.status,
        response=record.response,
    )


def store_answer(session: Session, ref: RecordRef, status: int, response: Any) -> bool:
    """Keep the write's answer with the write; False when a retry took the record over."""
    stored = session.exec(
        update(IdempotencyRecord).where(_this(ref)).values(status=status, response=response)
    )
    return bool(stored.rowcount == 1)


def release(session: Session, ref: RecordRef) -> None:
    """Let go of the key after a failed write, so a corrected retry runs again."""
    session.exec(delete(IdempotencyRecord).where(_this(ref)))


def take_over(
    session: Session,
    stale: StoredCall,
    api_key_id: int,
    key: str,
    method_path: str,
    request_hash: str,
) -> RecordRef | None:
    """Replace a pending record by a new one; None when another retry replaced it first."""
    gone = session.exec(
        delete(IdempotencyRecord).where(
            col(IdempotencyRecord.id) == stale.ref[0], col(IdempotencyRecord.status) == 0
        )
    )
    if gone.rowcount != 1:
        return None
    return reserve(session, api_key_id, key, method_path, request_hash)
