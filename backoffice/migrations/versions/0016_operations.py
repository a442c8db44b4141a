"""operations: alert state (one row per rule and subject), and the operations permission
for existing HQ admin roles

Revision ID: 0016_operations
Revises: 0012_scheduler
Create Date: 2026-12-04 18:10:00.000000
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0016_operations"
down_revision: str | None = "0014_member_search"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PERMISSION = "operations.manage"


def upgrade() -> None:
    op.create_table(
        "operationsalert",
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("rule", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("subject", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("detail", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("opened_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("closed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("notified_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("notify_error", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    _grant(add=True)


def _grant(add: bool) -> None:
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, permissions FROM role WHERE code = 'hq_admin'")).all()
    for role_id, permissions in rows:
        perms = json.loads(permissions) if isinstance(permissions, str) else list(permissions)
        perms = [p for p in perms if p != PERMISSION] + ([PERMISSION] if add else [])
        bind.execute(
            sa.text("UPDATE role SET permissions = :p WHERE id = :id").bindparams(
                sa.bindparam("p", type_=sa.JSON)
            ),
            {"p": sorted(perms), "id": role_id},
        )


def downgrade() -> None:
    _grant(add=False)
    op.drop_table("operationsalert")
