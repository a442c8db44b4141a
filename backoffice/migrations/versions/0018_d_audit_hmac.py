"""audit chain: re-key the existing entries once, from plain SHA-256 to HMAC-SHA256 with the
audit key (outside the database), recorded as its own audit entry

Revision ID: 0018_d_audit_hmac
Revises: 0017_b_points_workflow_key
Create Date: 2026-12-07 15:20:00.000000
"""

from collections.abc import Iterator, Sequence

from alembic import op
from sqlmodel import Session, col, select

from backoffice.models import AuditEntry, AuditHead
from backoffice.models.base import utcnow
from backoffice.services.org.audit_chain import GENESIS, audit_key, entry_mac, plain_hash

revision: str = "0018_d_audit_hmac"
down_revision: str | None = "0017_b_points_workflow_key"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 5000


def _batches(session: Session) -> Iterator[list[AuditEntry]]:
    """The entries in id order, BATCH at a time."""
    last = 0
    while True:
        rows = list(
            session.exec(
                select(AuditEntry)
                .where(col(AuditEntry.id) > last)
                .order_by(col(AuditEntry.id))
                .limit(BATCH)
            ).all()
        )
        if not rows:
            return
        yield rows
        last = rows[-1].id or 0


def rekey(session: Session) -> int:
    """MAC every entry in id order (checking the old plain chain as it goes), then append the
    entry that says so; returns how many entries were re-keyed (0: nothing to do)."""
    key, old_prev, new_prev, last, count, intact = audit_key(), GENESIS, GENESIS, 0, 0, True
    for rows in _batches(session):
        for row in rows:
            intact = intact and row.prev_hash == old_prev and plain_hash(old_prev, row) == row.hash
            old_prev = row.hash
            row.prev_hash, row.hash = new_prev, entry_mac(new_prev, row, key)
            new_prev, last, count = row.hash, row.id or 0, count + 1
            session.add(row)
        session.flush()
    if not count:
        return 0
    note = AuditEntry(
        id=last + 1,
        at=utcnow(),
        actor_name="migration 0018",
        action="audit.rekeyed",
        target_type="audit",
        changes={"entries": count, "plain_chain_intact": intact, "mac": "HMAC-SHA256"},
        prev_hash=new_prev,
        hash="",
    )
    note.hash = entry_mac(new_prev, note, key)
    session.add(note)
    head = session.get(AuditHead, 1) or AuditHead(id=1)
    head.last_id, head.last_hash = note.id or 0, note.hash
    session.add(head)
    session.flush()
    return count


def upgrade() -> None:
    session = Session(bind=op.get_bind())
    rekey(session)
    session.flush()


def downgrade() -> None:
    """Back to the plain chain (the re-key entry stays, chained like the others)."""
    session = Session(bind=op.get_bind())
    prev, last = GENESIS, 0
    for rows in _batches(session):
        for row in rows:
            row.prev_hash, row.hash = prev, plain_hash(prev, row)
            prev, last = row.hash, row.id or 0
            session.add(row)
        session.flush()
    head = session.get(AuditHead, 1)
    if head is not None:
        head.last_id, head.last_hash = last, prev
        session.add(head)
    session.flush()
