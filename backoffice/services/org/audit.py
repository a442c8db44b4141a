"""Audit log: append in the caller's transaction, chain every entry with a keyed MAC
(audit_chain); verifying the chain and its signed checkpoints is audit_verify's."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, func, select

from backoffice.models import AuditEntry, AuditHead
from backoffice.models.base import utcnow
from backoffice.services.org import audit_verify
from backoffice.services.org.access import Actor, require, restrict
from backoffice.services.org.audit_chain import entry_mac
from backoffice.services.org.audit_verify import ChainReport
from backoffice.settings import get_settings


def entry_hash(prev_hash: str, entry: AuditEntry) -> str:
    """The entry's MAC (keyed: see audit_chain)."""
    return entry_mac(prev_hash, entry)


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if hasattr(value, "value"):  # enums
        return value.value
    return value


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """Only the changed fields, as {field: [before, after]}."""
    out: dict[str, Any] = {}
    for key in sorted(set(before) | set(after)):
        b, a = _jsonable(before.get(key)), _jsonable(after.get(key))
        if b != a:
            out[key] = [b, a]
    return out


def _lock_head(session: Session) -> AuditHead:
    head = session.exec(select(AuditHead).where(AuditHead.id == 1).with_for_update()).first()
    if head is None:
        head = AuditHead(id=1)
        session.add(head)
        session.flush()
    return head


def _chained(
    head: AuditHead,
    actor: Actor | None,
    action: str,
    *,
    target_type: str = "",
    target_id: object = "",
    store_id: int | None = None,
    changes: dict[str, Any] | None = None,
    actor_name: str | None = None,
    actor_id: int | None = None,
) -> AuditEntry:
    """The next entry of the chain; moves the (locked) head on to it."""
    entry = AuditEntry(
        id=head.last_id + 1,
        at=utcnow(),
        actor_id=actor.staff_id if actor else actor_id,
        actor_name=actor.username if actor else (actor_name or ""),
        role=actor.role if actor else "",
        store_id=store_id if store_id is not None else (actor.home_store_id if actor else None),
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        changes=_jsonable(changes or {}),
        prev_hash=head.last_hash,
        hash="",
    )
    entry.hash = entry_hash(head.last_hash, entry)
    head.last_id = entry.id or 0
    head.last_hash = entry.hash
    return entry


def record(
    session: Session,
    actor: Actor | None,
    action: str,
    *,
    target_type: str = "",
    target_id: object = "",
    store_id: int | None = None,
    changes: dict[str, Any] | None = None,
    actor_name: str | None = None,
    actor_id: int | None = None,
) -> AuditEntry:
    """Append one entry in the caller's transaction; the head row lock orders the chain."""
    head = _lock_head(session)
    entry = _chained(
        head,
        actor,
        action,
        target_type=target_type,
        target_id=target_id,
        store_id=store_id,
        changes=changes,
        actor_name=actor_name,
        actor_id=actor_id,
    )
    session.add(entry)
    session.add(head)
    session.flush()
    return entry


@dataclass(frozen=True)
class Note:
    """One entry for record_many."""

    actor: Actor | None
    action: str
    target_type: str = ""
    target_id: str = ""
    changes: dict[str, Any] | None = None


def record_many(session: Session, notes: list[Note]) -> int:
    """Append many entries under one head lock and one flush (the API's batched reads): the
    same chain as one record() per entry, at a fraction of the statements."""
    if not notes:
        return 0
    head = _lock_head(session)
    entries = [
        _chained(
            head,
            n.actor,
            n.action,
            target_type=n.target_type,
            target_id=n.target_id,
            changes=n.changes,
        )
        for n in notes
    ]
    session.add_all(entries)
    session.add(head)
    session.flush()
    return len(entries)


def record_update(
    session: Session,
    actor: Actor,
    row: Any,
    values: dict[str, Any],
    action: str,
    target_type: str,
) -> dict[str, Any]:
    """Set `values` on `row` and audit the before/after of what actually changed."""
    before = {key: getattr(row, key) for key in values}
    for key, value in values.items():
        setattr(row, key, value)
    session.add(row)
    changes = diff(before, values)
    if changes:
        record(session, actor, action, target_type=target_type, target_id=row.id, changes=changes)
    return changes


def verify_chain(session: Session, batch: int = 5000, with_checkpoints: bool = True) -> ChainReport:
    """The chain and every checkpoint (see audit_verify)."""
    return audit_verify.verify_chain(session, batch, with_checkpoints)


def verify_chain_as(session: Session, actor: Actor) -> ChainReport:
    """verify_chain for a person reading the audit log (the CLI calls verify_chain)."""
    require(actor, "audit.read")
    return verify_chain(session)


@dataclass
class AuditFilter:
    actor: str = ""
    role: str = ""
    store_id: int | None = None
    action: str = ""
    date_from: date | None = None
    date_to: date | None = None
    target_type: str = ""
    target_id: str = ""


def _zone() -> ZoneInfo:
    """Date filters are days as HQ reads them: the organisation's time zone, not UTC."""
    return ZoneInfo(get_settings().default_timezone)


def list_audit(
    session: Session, actor: Actor, filters: AuditFilter, page: int = 1, page_size: int = 50
) -> tuple[list[AuditEntry], int]:
    """Audit entries for HQ auditors/admins, newest first, with filters."""
    require(actor, "audit.read")
    stmt = select(AuditEntry)
    stmt = restrict(stmt, actor, AuditEntry.store_id)
    if filters.actor:
        stmt = stmt.where(col(AuditEntry.actor_name).contains(filters.actor))
    if filters.role:
        stmt = stmt.where(AuditEntry.role == filters.role)
    if filters.store_id is not None:
        stmt = stmt.where(AuditEntry.store_id == filters.store_id)
    if filters.action:
        stmt = stmt.where(col(AuditEntry.action).startswith(filters.action))
    if filters.target_type:
        stmt = stmt.where(AuditEntry.target_type == filters.target_type)
    if filters.target_id:
        stmt = stmt.where(AuditEntry.target_id == filters.target_id)
    if filters.date_from:
        stmt = stmt.where(
            AuditEntry.at >= datetime.combine(filters.date_from, time.min, tzinfo=_zone())
        )
    if filters.date_to:
        end = datetime.combine(filters.date_to, time.min, tzinfo=_zone()) + timedelta(days=1)
        stmt = stmt.where(AuditEntry.at < end)
    total = session.exec(select(func.count()).select_from(stmt.subquery())).one()
    rows = session.exec(
        stmt.order_by(col(AuditEntry.id).desc()).offset((page - 1) * page_size).limit(page_size)
    ).all()
    return list(rows), int(total)
