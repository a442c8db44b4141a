"""member_search: the tag filter reads a covering (tag, member_id) index

Revision ID: 0014_member_search
Revises: 0012_scheduler
Create Date: 2026-12-04 18:30:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0014_member_search"
down_revision: str | None = "0012_scheduler"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_membertag_tag_member", "membertag", ["tag", "member_id"])
    op.drop_index("ix_membertag_tag", table_name="membertag")


def downgrade() -> None:
    op.create_index("ix_membertag_tag", "membertag", ["tag"])
    op.drop_index("ix_membertag_tag_member", table_name="membertag")
