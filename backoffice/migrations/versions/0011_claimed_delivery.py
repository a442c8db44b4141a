"""claimed_delivery: outbox messages are claimed with a lease before they are sent, and a
retry waits for its due time

Revision ID: 0011_claimed_delivery
Revises: 0010_sealed_secrets
Create Date: 2026-12-03 18:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0011_claimed_delivery"
down_revision: str | None = "0010_sealed_secrets"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # A new value of the native enum; usable once this migration's transaction commits.
        op.execute("ALTER TYPE messagestatus ADD VALUE IF NOT EXISTS 'SENDING' AFTER 'QUEUED'")
    with op.batch_alter_table("outboxmessage") as batch_op:
        batch_op.add_column(sa.Column("next_attempt_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("lease_until", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "claim_token",
                sqlmodel.sql.sqltypes.AutoString(length=32),
                nullable=False,
                server_default="",
            )
        )
        batch_op.create_index("ix_outbox_status_due", ["status", "next_attempt_at"])


def downgrade() -> None:
    # PostgreSQL cannot drop an enum value; a SENDING row goes back to the queue first.
    op.execute("UPDATE outboxmessage SET status = 'QUEUED' WHERE status = 'SENDING'")
    with op.batch_alter_table("outboxmessage") as batch_op:
        batch_op.drop_index("ix_outbox_status_due")
        batch_op.drop_column("claim_token")
        batch_op.drop_column("lease_until")
        batch_op.drop_column("next_attempt_at")
