"""Schema migrations through Alembic, configured in code (no alembic.ini to keep in sync)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def pending_revisions(engine: Engine | None = None) -> list[str]:
    """Revisions not yet applied, oldest first (for a progress bar)."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from backoffice.db import get_engine

    script = ScriptDirectory.from_config(alembic_config())
    with (engine or get_engine()).connect() as connection:
        current = MigrationContext.configure(connection).get_current_heads()
    pending = [
        r.revision for r in script.iterate_revisions("heads", current[0] if current else "base")
    ]
    return list(reversed(pending))


def upgrade(
    engine: Engine | None = None,
    revision: str = "head",
    on_step: Callable[[str], None] | None = None,
) -> None:
    """Bring the database to `revision`; on a fresh database this creates every table."""
    config = alembic_config()
    if on_step is not None:
        config.attributes["on_version_apply"] = lambda **kw: on_step(kw["step"].up_revision_id)
    if engine is None:
        command.upgrade(config, revision)
        return
    with engine.connect() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
        if connection.in_transaction():
            connection.commit()


def make_revision(message: str) -> None:
    """Autogenerate a new revision from the models (developer command)."""
    command.revision(alembic_config(), message=message, autogenerate=True)
