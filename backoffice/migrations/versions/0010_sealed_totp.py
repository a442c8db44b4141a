"""sealed_totp: staff TOTP secrets are sealed with the server key (backoffice/sealed.py)

The column grows to hold a Fernet token, and every secret stored in plain text until now is
sealed in place.

Revision ID: 0010_sealed_totp
Revises: 0009_reports_rfm_index
Create Date: 2026-11-23 14:20:00.000000
"""

from collections.abc import Callable, Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0010_sealed_totp"
down_revision: str | None = "0009_reports_rfm_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _rewrite_secrets(change: Callable[[str], str]) -> None:
    conn = op.get_bind()
    for staff_id, secret in conn.execute(sa.text("SELECT staff_id, secret FROM stafftotp")).all():
        conn.execute(
            sa.text("UPDATE stafftotp SET secret = :s WHERE staff_id = :i"),
            {"s": change(secret), "i": staff_id},
        )


def upgrade() -> None:
    from backoffice.sealed import is_sealed, seal

    with op.batch_alter_table("stafftotp", schema=None) as batch_op:
        batch_op.alter_column(
            "secret",
            existing_type=sqlmodel.sql.sqltypes.AutoString(length=64),
            type_=sqlmodel.sql.sqltypes.AutoString(length=255),
            existing_nullable=False,
        )
    _rewrite_secrets(lambda secret: secret if is_sealed(secret) else seal(secret))


def downgrade() -> None:
    from backoffice.sealed import unseal

    _rewrite_secrets(unseal)
    with op.batch_alter_table("stafftotp", schema=None) as batch_op:
        batch_op.alter_column(
            "secret",
            existing_type=sqlmodel.sql.sqltypes.AutoString(length=255),
            type_=sqlmodel.sql.sqltypes.AutoString(length=64),
            existing_nullable=False,
        )
