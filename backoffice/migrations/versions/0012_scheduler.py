"""scheduler: the scheduler's own state in the database (tick cursor, nightly, errors), and
the RQ job that holds each running workflow run

Revision ID: 0012_scheduler
Revises: 0011_claimed_delivery
Create Date: 2026-12-03 19:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0012_scheduler"
down_revision: str | None = "0011_claimed_delivery"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "schedulerstate",
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("value", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    with op.batch_alter_table("workflowrun") as batch_op:
        batch_op.add_column(
            sa.Column("job_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True)
        )
        batch_op.create_index(batch_op.f("ix_workflowrun_job_id"), ["job_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("workflowrun") as batch_op:
        batch_op.drop_index(batch_op.f("ix_workflowrun_job_id"))
        batch_op.drop_column("job_id")
    op.drop_table("schedulerstate")
