"""Signed checkpoints of the audit chain's head, written outside the database.

A MAC chain stops a database writer from forging entries, but not from cutting the newest
ones off and moving the head back. So once a day (the nightly job) the head, that is the
last entry's id and MAC, is signed with Ed25519 and written as a small JSON file to
AUDIT_CHECKPOINT_DIR (default DATA_DIR/audit-checkpoints; point it at another disk, or
copy the files to HQ). `backoffice audit verify` then checks that every signed entry is
still there, unchanged. The signing key is derived from the audit key (never stored);
public.pem beside the files lets anyone holding only the files check the signatures.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlmodel import Session

from backoffice.models import AuditHead
from backoffice.models.base import utcnow
from backoffice.services.org.audit_chain import GENESIS, audit_key
from backoffice.settings import get_settings

PREFIX = "checkpoint-"


def checkpoint_dir() -> Path:
    settings = get_settings()
    return Path(settings.audit_checkpoint_dir or settings.data_dir / "audit-checkpoints")


def _signing_key() -> Ed25519PrivateKey:
    seed = hmac.new(audit_key(), b"audit-checkpoint-signing", hashlib.sha256).digest()
    return Ed25519PrivateKey.from_private_bytes(seed)


def _message(body: dict[str, object]) -> bytes:
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def public_key_pem() -> bytes:
    return (
        _signing_key()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )


def _write_atomic(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        os.write(fd, data)
        os.close(fd)
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def write_checkpoint(session: Session, now: datetime | None = None) -> Path:
    """Sign the chain's head as it is now and write it next to the earlier checkpoints."""
    head = session.get(AuditHead, 1) or AuditHead(id=1, last_id=0, last_hash=GENESIS)
    at = now or utcnow()
    body: dict[str, object] = {
        "version": 1,
        "last_id": head.last_id,
        "last_mac": head.last_hash,
        "at": at.isoformat(timespec="seconds"),
    }
    signed = {**body, "signature": _signing_key().sign(_message(body)).hex()}
    folder = checkpoint_dir()
    folder.mkdir(parents=True, exist_ok=True)
    pem = folder / "public.pem"
    if not pem.exists() or pem.read_bytes() != public_key_pem():
        _write_atomic(pem, public_key_pem())
    path = folder / f"{PREFIX}{at.strftime('%Y%m%dT%H%M%S')}-{head.last_id}.json"
    _write_atomic(path, json.dumps(signed, indent=1).encode())
    return path


@dataclass(frozen=True)
class Checkpoint:
    name: str
    last_id: int
    last_mac: str
    at: str
    problem: str = ""  # unreadable or not signed by this server's key


def _read(path: Path) -> Checkpoint:
    try:
        data = json.loads(path.read_text())
        body = {k: data[k] for k in ("version", "last_id", "last_mac", "at")}
        signature = bytes.fromhex(str(data["signature"]))
        _signing_key().public_key().verify(signature, _message(body))
        return Checkpoint(path.name, int(data["last_id"]), str(data["last_mac"]), str(data["at"]))
    except (OSError, ValueError, KeyError, TypeError):
        return Checkpoint(path.name, 0, "", "", problem="unreadable")
    except InvalidSignature:
        return Checkpoint(path.name, 0, "", "", problem="signature does not verify")


def read_checkpoints() -> list[Checkpoint]:
    """Every checkpoint file, oldest head first."""
    folder = checkpoint_dir()
    if not folder.is_dir():
        return []
    found = [_read(p) for p in sorted(folder.glob(f"{PREFIX}*.json"))]
    return sorted(found, key=lambda c: (c.last_id, c.name))
