"""points: one ledger entry per workflow step (a partial unique index on the cause), so a
campaign's bulk grant inserts with ON CONFLICT DO NOTHING and a re-run never credits twice

Revision ID: 0017_b_points_workflow_key
Revises: 0017_visit_cards
Create Date: 2026-12-07 15:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017_b_points_workflow_key"
down_revision: str | None = "0017_visit_cards"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WHERE = sa.text("cause_type = 'workflow'")


def upgrade() -> None:
    op.create_index(
        "ux_points_workflow_cause",
        "pointsentry",
        ["cause_type", "cause_id"],
        unique=True,
        sqlite_where=WHERE,
        postgresql_where=WHERE,
    )


def downgrade() -> None:
    op.drop_index("ux_points_workflow_cause", table_name="pointsentry")
