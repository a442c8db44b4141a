"""Every API read is audited as the key, without a database write per request.

Writes are audited by the services in their own transaction. Reads are many and fast, so
each one is noted in memory and a background thread appends the notes to the audit chain
once a second, in one transaction (the hash chain stays one ordered chain). A read's note
keeps its own time; at process exit whatever is left is flushed.
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from backoffice.services.org.access import Actor

FLUSH_SECONDS = 1.0
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Read:
    actor: Actor
    call: str  # "GET /api/v1/members?phone=…"
    at: str


_lock = threading.Lock()
_pending: list[_Read] = []
_thread: threading.Thread | None = None
background = True  # tests turn it off and call flush() themselves


def note(actor: Actor, call: str) -> None:
    """Remember one read by the key (cheap: a list append under a lock)."""
    global _thread
    with _lock:
        _pending.append(_Read(actor, call[:300], datetime.now(UTC).isoformat()))
        if background and (_thread is None or not _thread.is_alive()):
            _thread = threading.Thread(target=_loop, name="api-read-audit", daemon=True)
            _thread.start()


def flush() -> int:
    """Append the noted reads to the audit chain in one transaction; returns how many."""
    from backoffice.db import session_scope
    from backoffice.services.org import audit

    with _lock:
        rows = list(_pending)
        _pending.clear()
    if not rows:
        return 0
    try:
        with session_scope() as session:
            audit.record_many(
                session,
                [
                    audit.Note(row.actor, "api.read", "api", row.call, {"at": row.at})
                    for row in rows
                ],
            )
    except Exception:
        with _lock:  # keep them for the next round rather than lose them
            _pending[:0] = rows
        raise
    return len(rows)


def clear() -> None:
    with _lock:
        _pending.clear()


def _loop() -> None:
    while True:
        time.sleep(FLUSH_SECONDS)
        try:
            flush()
        except Exception:  # noqa: BLE001  (the database may be busy or gone; try again)
            log.exception("could not write API reads to the audit log")


def _at_exit() -> None:
    try:
        flush()
    except Exception:  # noqa: BLE001  (nothing left to report to at exit but the log)
        log.exception("API reads not written to the audit log at exit")


atexit.register(_at_exit)
