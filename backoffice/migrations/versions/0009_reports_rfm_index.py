"""reports_rfm_index: a covering index for store-scoped RFM groups and the churn filter

Revision ID: 0009_reports_rfm_index
Revises: 0008_reports_scope
Create Date: 2026-11-23 10:58:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009_reports_rfm_index"
down_revision: str | None = "0008_reports_scope"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("membersalessummary", schema=None) as batch_op:
        batch_op.create_index(
            "ix_msummary_rfm",
            ["home_store_id", "last_sale_day", "sales_count", "spend_cents", "gap_days"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("membersalessummary", schema=None) as batch_op:
        batch_op.drop_index("ix_msummary_rfm")
