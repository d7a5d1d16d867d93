"""households.flat_order: the flats list pages in natural order in the database

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 22:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from server.flatorder import flat_order

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("households") as batch:
        batch.add_column(sa.Column("flat_order", sa.Text(), nullable=False, server_default=""))
    bind = op.get_bind()
    flats = bind.execute(sa.text("SELECT id, building, unit, room FROM households")).all()
    if flats:
        bind.execute(
            sa.text("UPDATE households SET flat_order = :order WHERE id = :id"),
            [{"id": id_, "order": flat_order(b or "", u or "", r or "")} for id_, b, u, r in flats],
        )
    op.create_index("ix_households_order", "households", ["compound_id", "flat_order", "id"])


def downgrade() -> None:
    op.drop_index("ix_households_order", "households")
    with op.batch_alter_table("households") as batch:
        batch.drop_column("flat_order")
