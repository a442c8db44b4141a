"""The audit chain's MAC: HMAC-SHA256(key, previous MAC || the entry's canonical form).

The key lives outside the database (AUDIT_KEY, or derived from SECRET_KEY / DATA_DIR's key
file), so someone who can write the database but not read the server's key cannot forge
an entry, nor recompute the chain after editing, deleting or inserting rows: a plain
SHA-256 chain could be recomputed by anyone (the chain before migration 0018 was one).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from backoffice.sealed import derived_key
from backoffice.settings import get_settings

GENESIS = "0" * 64


def audit_key() -> bytes:
    """AUDIT_KEY when set (hashed to 32 bytes), otherwise a key derived from the server's."""
    own = get_settings().audit_key
    if own:
        return hashlib.sha256(b"backoffice-audit:" + own.encode()).digest()
    return derived_key("audit-chain")


def canonical(entry: Any) -> str:
    """The entry as hashed: every field but the chain's own, in a fixed order."""
    body = {
        "id": entry.id,
        "at": entry.at.isoformat(timespec="microseconds"),
        "actor_id": entry.actor_id,
        "actor_name": entry.actor_name,
        "role": entry.role,
        "store_id": entry.store_id,
        "action": entry.action,
        "target_type": entry.target_type,
        "target_id": entry.target_id,
        "changes": entry.changes,
    }
    return json.dumps(body, sort_keys=True, ensure_ascii=False, default=str)


def entry_mac(prev_mac: str, entry: Any, key: bytes | None = None) -> str:
    """The keyed link of `entry` to the one before it."""
    message = (prev_mac + canonical(entry)).encode()
    return hmac.new(key or audit_key(), message, hashlib.sha256).hexdigest()


def plain_hash(prev_hash: str, entry: Any) -> str:
    """The unkeyed SHA-256 link of chains before migration 0018 (and of a forger)."""
    return hashlib.sha256((prev_hash + canonical(entry)).encode()).hexdigest()
