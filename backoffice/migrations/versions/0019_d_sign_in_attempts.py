"""sign-in attempts by address and account (address throttle, familiar addresses)

Revision ID: 0019_d_sign_in_attempts
Revises: 0018_d_audit_hmac
Create Date: 2026-12-07 15:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0019_d_sign_in_attempts"
down_revision: str | None = "0018_d_audit_hmac"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "signinattempt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("account", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("address", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_signinattempt_address_at", "signinattempt", ["address", "at"])
    op.create_index(
        "ix_signinattempt_account", "signinattempt", ["kind", "account", "address", "at"]
    )


def downgrade() -> None:
    op.drop_index("ix_signinattempt_account", table_name="signinattempt")
    op.drop_index("ix_signinattempt_address_at", table_name="signinattempt")
    op.drop_table("signinattempt")
