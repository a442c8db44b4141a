"""Nightly backups with retention: the scheduler's daily backup file, and only the newest
N kept (BACKUP_DIR, BACKUP_KEEP)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Engine

from backoffice.services.operations.backup import backup

NIGHTLY_PREFIX = "backoffice-nightly-"


def nightly_backup(engine: Engine, folder: Path, day: str, keep: int) -> Path:
    """The day's backup in `folder`; then only the newest `keep` nightly files stay."""
    file = backup(engine, folder / f"{NIGHTLY_PREFIX}{day}.zip")
    prune_backups(folder, keep)
    return file


def prune_backups(folder: Path, keep: int) -> list[Path]:
    """Delete all but the newest `keep` nightly backups (by the day in their name)."""
    nightly = sorted(folder.glob(f"{NIGHTLY_PREFIX}*.zip"))
    gone = nightly[: max(0, len(nightly) - max(1, keep))]
    for path in gone:
        path.unlink(missing_ok=True)
    return gone
