"""sealed_secrets: staff TOTP secrets and webhook signing secrets are sealed with the
server key (backoffice/sealed.py)

The columns grow to hold a Fernet token, and every secret stored in plain text until now is
sealed in place.

Revision ID: 0010_sealed_secrets
Revises: 0009_reports_rfm_index
Create Date: 2026-11-23 14:20:00.000000
"""

from collections.abc import Callable, Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0010_sealed_secrets"
down_revision: str | None = "0009_reports_rfm_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# table, its key column, the secret column's length before this revision
SEALED = (("stafftotp", "staff_id", 64), ("webhooksubscription", "id", 100))


def _rewrite_secrets(change: Callable[[str], str]) -> None:
    conn = op.get_bind()
    for table, key, _length in SEALED:
        for row_id, secret in conn.execute(sa.text(f"SELECT {key}, secret FROM {table}")).all():
            conn.execute(
                sa.text(f"UPDATE {table} SET secret = :s WHERE {key} = :i"),
                {"s": change(secret), "i": row_id},
            )


def _resize(grow: bool) -> None:
    """Every sealed column from its old length to 255 (upgrade), or back (downgrade)."""
    for table, _key, length in SEALED:
        before, after = (length, 255) if grow else (255, length)
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(
                "secret",
                existing_type=sqlmodel.sql.sqltypes.AutoString(length=before),
                type_=sqlmodel.sql.sqltypes.AutoString(length=after),
                existing_nullable=False,
            )


def upgrade() -> None:
    from backoffice.sealed import is_sealed, seal

    _resize(grow=True)
    _rewrite_secrets(lambda secret: secret if is_sealed(secret) else seal(secret))


def downgrade() -> None:
    from backoffice.sealed import unseal

    _rewrite_secrets(unseal)
    _resize(grow=False)
