"""Uploaded member CSVs on disk: written in chunks with the size checked first, deleted
once imported or abandoned, and swept after UPLOAD_MAX_AGE at the latest.

Each file holds members' names and phones, so none may stay in DATA_DIR/uploads for ever:
the import page deletes its file when the import is done, when another file replaces it
and when the page is opened again (the earlier one was abandoned); the housekeeping job
(every six hours) deletes anything older than UPLOAD_MAX_AGE, so a file left by a closed
browser is gone within a day.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import time
from datetime import timedelta
from pathlib import Path
from typing import BinaryIO

from backoffice.errors import ValidationFailed
from backoffice.settings import get_settings

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
CHUNK = 256 * 1024
UPLOAD_MAX_AGE = timedelta(hours=18)  # + the sweep's six hours: within a day


def upload_dir() -> Path:
    path = get_settings().data_dir / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _too_big() -> ValidationFailed:
    return ValidationFailed({"file": "error.upload_too_big"})


def save_upload(source: BinaryIO, declared_size: int | None, limit: int = MAX_UPLOAD_BYTES) -> Path:
    """Copy an upload to DATA_DIR/uploads chunk by chunk: refused before reading when its
    declared size is over `limit`, and stopped (the partial file deleted) once it is."""
    if declared_size is not None and declared_size > limit:
        raise _too_big()
    path = upload_dir() / f"{secrets.token_hex(16)}.csv"
    written = 0
    try:
        with path.open("xb") as out:
            os.chmod(path, 0o600)
            while chunk := source.read(CHUNK):
                written += len(chunk)
                if written > limit:
                    raise _too_big()
                out.write(chunk)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path


def discard(path: str) -> None:
    """Delete an upload (only ever a file directly inside the upload folder)."""
    if not path:
        return
    target = Path(path)
    if target.parent.resolve() == upload_dir().resolve():
        with contextlib.suppress(FileNotFoundError):
            target.unlink()


def sweep_uploads(max_age: timedelta = UPLOAD_MAX_AGE) -> int:
    """Delete uploads older than `max_age` (abandoned imports); returns how many."""
    cutoff = time.time() - max_age.total_seconds()
    removed = 0
    for path in upload_dir().iterdir():
        with contextlib.suppress(FileNotFoundError):
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
    return removed
