"""Secrets the server must read back (a staff member's TOTP secret, a webhook's signing key)
are kept in the database sealed with a server key (Fernet: AES-128-CBC + HMAC-SHA256), so a
copy of the database or a backup alone gives away nobody's second factor and lets nobody
forge the shop's webhooks.

The key is SECRET_KEY (a Fernet key; every app server and worker needs the same one). Without
it, `make run` makes one on first use in DATA_DIR/secret.key, readable by this user only.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from functools import lru_cache
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from backoffice.settings import get_settings

PREFIX = "v1:"  # what a sealed value starts with; anything else is an older plain value
KEY_FILE = "secret.key"


class KeyMismatch(RuntimeError):
    """A sealed value that this server's key cannot open."""


def _key_file(data_dir: Path) -> bytes:
    """The key under data_dir, made once: written aside, then linked into place, so two
    processes starting together end up with the same key."""
    path = data_dir / KEY_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=data_dir, prefix=".secret-")
        try:
            os.write(fd, Fernet.generate_key())
            os.close(fd)
            os.chmod(tmp, 0o600)
            with contextlib.suppress(FileExistsError):  # another process was first: use its key
                os.link(tmp, path)
        finally:
            os.unlink(tmp)
    return path.read_bytes().strip()


@lru_cache
def _fernet(secret_key: str, data_dir: str) -> Fernet:
    key = secret_key.encode() if secret_key else _key_file(Path(data_dir))
    try:
        return Fernet(key)
    except ValueError as exc:
        raise KeyMismatch(
            "SECRET_KEY is not a Fernet key (32 url-safe base64 bytes); make one with "
            "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key())'"
        ) from exc


def _box() -> Fernet:
    settings = get_settings()
    return _fernet(settings.secret_key, str(settings.data_dir))


def seal(plain: str) -> str:
    return PREFIX + _box().encrypt(plain.encode()).decode()


def is_sealed(stored: str) -> bool:
    return stored.startswith(PREFIX)


def unseal(stored: str) -> str:
    """The plain value; a value stored before sealing existed is returned as it is."""
    if not is_sealed(stored):
        return stored
    try:
        return _box().decrypt(stored[len(PREFIX) :].encode()).decode()
    except InvalidToken as exc:
        raise KeyMismatch(
            "a sealed secret does not open with this server's key: SECRET_KEY (or "
            "DATA_DIR/secret.key) differs from the one it was sealed with"
        ) from exc


def derived_key(purpose: str) -> bytes:
    """A key for one purpose (the audit chain's MAC, the counter codes), derived from the
    server key with HMAC-SHA256: the server key itself never leaves this module, and a key
    leaked for one purpose opens nothing else."""
    import hashlib
    import hmac

    settings = get_settings()
    base = settings.secret_key.encode() or _key_file(settings.data_dir)
    return hmac.new(base, b"backoffice:" + purpose.encode(), hashlib.sha256).digest()
