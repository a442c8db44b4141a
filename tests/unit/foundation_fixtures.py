"""Building blocks for the foundation tests: members made through the services, row counts
and whole-database snapshots that prove a refused call wrote nothing."""

from __future__ import annotations

from typing import Any

from sqlalchemy import inspect
from sqlalchemy import select as sa_select
from sqlmodel import Session, SQLModel, func, select

from backoffice.models import AuditEntry, Member
from backoffice.services.loyalty.enrolment import enrol_member
from backoffice.services.members.profiles import MemberInput
from backoffice.services.org.access import Actor


def add_member(
    session: Session, actor: Actor, store_id: int, phone: str, name: str = "会员", **fields: Any
) -> Member:
    """A member registered through the service, as reception would."""
    return enrol_member(  # as the desk registers a member
        session, actor, MemberInput(name=name, phone=phone, home_store_id=store_id, **fields)
    )


def count(session: Session, model: type[SQLModel]) -> int:
    return int(session.exec(select(func.count()).select_from(model)).one())


def audit_actions(session: Session) -> list[str]:
    """Every audit action, oldest first."""
    return list(session.exec(select(AuditEntry.action).order_by(AuditEntry.id)).all())


def last_audit(session: Session, action: str | None = None) -> AuditEntry:
    stmt = select(AuditEntry)
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    entry = session.exec(stmt.order_by(AuditEntry.id.desc())).first()  # type: ignore[union-attr]
    assert entry is not None, f"no audit entry {action or ''}"
    return entry


def snapshot(session: Session) -> dict[str, list[str]]:
    """Every row of every table (pending changes flushed first), to compare before/after."""
    out: dict[str, list[str]] = {}
    session.flush()
    existing = set(inspect(session.connection()).get_table_names())
    for table in SQLModel.metadata.sorted_tables:
        if table.name not in existing:  # a model whose migration is not written yet
            continue
        rows = session.execute(sa_select(table)).all()
        out[table.name] = sorted(repr(tuple(row)) for row in rows)
    return out


def changed_tables(before: dict[str, list[str]], after: dict[str, list[str]]) -> list[str]:
    return sorted(name for name in before if before[name] != after.get(name))
