"""Verifying the audit log: the keyed chain entry by entry, then every signed checkpoint.

Each problem names the entry and what happened to it: deleted (a gap in the ids), edited
(content no longer matches its MAC), inserted (the next entry links past it), re-chained
(its hash was recomputed without the key, or it no longer links to the one before), and
a tail cut (a checkpoint signed an entry the chain no longer reaches).
"""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from backoffice.models import AuditEntry, AuditHead
from backoffice.services.org.audit_chain import GENESIS, audit_key, entry_mac, plain_hash
from backoffice.services.org.audit_checkpoints import read_checkpoints

MAX_PROBLEMS = 1000  # a rewritten chain breaks at every entry: the first ones say it all


@dataclass
class ChainReport:
    checked: int
    ok: bool
    problems: list[str]
    checkpoints: int = 0
    more_problems: int = 0  # beyond MAX_PROBLEMS, counted only


@dataclass
class _Walk:
    problems: list[str] = field(default_factory=list)
    more: int = 0
    checked: int = 0
    last_id: int = 0
    last_mac: str = GENESIS
    macs: dict[int, str] = field(default_factory=dict)  # of the entries checkpoints signed

    def note(self, problem: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(problem)
        else:
            self.more += 1


def _iter_entries(session: Session, batch: int) -> Iterator[AuditEntry]:
    last = 0
    while True:
        rows = session.exec(
            select(AuditEntry)
            .where(col(AuditEntry.id) > last)
            .order_by(col(AuditEntry.id))
            .limit(batch)
        ).all()
        if not rows:
            return
        yield from rows
        last = rows[-1].id or 0


def _judge(walk: _Walk, row: AuditEntry, nxt: AuditEntry | None, key: bytes) -> None:
    """What, if anything, happened to `row`, given the entry before it (walk) and after."""
    rid = row.id or 0
    expected = walk.last_id + 1
    if rid > expected:
        span = f"entry {expected}" if rid == expected + 1 else f"entries {expected}–{rid - 1}"
        walk.note(f"{span} deleted (the next entry is {rid})")
    if not hmac.compare_digest(entry_mac(row.prev_hash, row, key), row.hash):
        if hmac.compare_digest(plain_hash(row.prev_hash, row), row.hash):
            walk.note(f"entry {rid}: re-chained: its hash was recomputed without the key (forged)")
        elif nxt is not None and nxt.prev_hash == walk.last_mac and rid == expected:
            walk.note(f"entry {rid}: inserted (the next entry links past it)")
        else:
            walk.note(f"entry {rid}: edited (its content does not match its MAC)")
    elif row.prev_hash != walk.last_mac and rid == expected:
        walk.note(f"entry {rid}: re-chained: it does not link to entry {walk.last_id}")


def _walk_chain(session: Session, batch: int, wanted: set[int]) -> _Walk:
    walk, key = _Walk(), audit_key()
    entries = _iter_entries(session, batch)
    row = next(entries, None)
    while row is not None:
        nxt = next(entries, None)
        walk.checked += 1
        _judge(walk, row, nxt, key)
        if row.id in wanted:
            walk.macs[row.id or 0] = row.hash
        walk.last_id, walk.last_mac = row.id or 0, row.hash
        row = nxt
    return walk


def verify_chain(session: Session, batch: int = 5000, with_checkpoints: bool = True) -> ChainReport:
    """Walk the chain in id order, then hold it against every signed checkpoint (a restored
    backup checks its chain alone: later checkpoints rightly see its tail as cut)."""
    checkpoints = read_checkpoints() if with_checkpoints else []
    walk = _walk_chain(session, batch, {c.last_id for c in checkpoints if not c.problem})
    head = session.get(AuditHead, 1)
    if head is not None and (head.last_id != walk.last_id or head.last_hash != walk.last_mac):
        walk.note(f"the chain ends at entry {walk.last_id}, head says {head.last_id}")
    for c in checkpoints:
        if c.problem:
            walk.note(f"checkpoint {c.name}: {c.problem} (forged or damaged)")
        elif c.last_id > walk.last_id:
            walk.note(
                f"tail cut: the chain ends at entry {walk.last_id} but the checkpoint of "
                f"{c.at} signed entry {c.last_id}"
            )
        elif c.last_id and walk.macs.get(c.last_id) != c.last_mac:
            walk.note(
                f"checkpoint {c.name}: entry {c.last_id} is not the one signed on {c.at} "
                "(edited, deleted or re-chained since)"
            )
    return ChainReport(
        checked=walk.checked,
        ok=not walk.problems,
        problems=walk.problems,
        checkpoints=len(checkpoints),
        more_problems=walk.more,
    )
