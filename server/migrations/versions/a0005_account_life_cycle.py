"""account life cycle: a password that must be changed; why and since when a resident is inactive

Revision ID: a0005
Revises: 0004
Create Date: 2026-12-05 08:00:00

A branch of its own beside others made in parallel: ``server.db.migrate`` upgrades every head.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import server.models

revision: str = "a0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column(
                "must_change_password", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
    with op.batch_alter_table("holders") as batch:
        batch.add_column(
            sa.Column("inactive_reason", sa.String(300), nullable=False, server_default="")
        )
        batch.add_column(sa.Column("inactive_since", server.models.UtcDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("holders") as batch:
        batch.drop_column("inactive_since")
        batch.drop_column("inactive_reason")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("must_change_password")
