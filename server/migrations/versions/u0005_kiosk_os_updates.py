"""kiosk health: the operating system's pending updates and whether it waits for a reboot

Revision ID: u0005
Revises: 0004
Create Date: 2026-12-05 10:40:00

A branch of its own beside others made in parallel: ``server.db.migrate`` upgrades every head.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "u0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("kiosk_health") as batch:
        batch.add_column(sa.Column("os_updates", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("os_security", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("reboot_required", sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("kiosk_health") as batch:
        batch.drop_column("reboot_required")
        batch.drop_column("os_security")
        batch.drop_column("os_updates")
