"""releases: update keys, releases and their files, staged rollouts; the updater's status per kiosk

Revision ID: r0006
Revises: a0005
Create Date: 2026-12-05 10:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import server.models

revision: str = "r0006"
down_revision: str | None = "a0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Time = server.models.UtcDateTime


def upgrade() -> None:
    with op.batch_alter_table("kiosk_health") as batch:
        for name, length in (("update_state", 16), ("update_target", 64), ("update_error", 40)):
            batch.add_column(sa.Column(name, sa.String(length), nullable=False, server_default=""))
    op.create_table(
        "update_keys",
        sa.Column("kid", sa.String(16), primary_key=True),
        sa.Column("public", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", Time(), nullable=False),
        sa.Column("retired", sa.Boolean(), nullable=False),
    )
    op.create_table(
        "releases",
        sa.Column("version", sa.String(64), primary_key=True),
        sa.Column("created_at", Time(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("kid", sa.String(16), nullable=False),
    )
    op.create_table(
        "release_files",
        sa.Column("version", sa.String(64), sa.ForeignKey("releases.version"), primary_key=True),
        sa.Column("name", sa.String(200), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
    )
    op.create_table(
        "rollouts",
        sa.Column("version", sa.String(64), sa.ForeignKey("releases.version"), primary_key=True),
        sa.Column("stage", sa.String(16), nullable=False),
        sa.Column("device_id", sa.String(64), nullable=False),
        sa.Column("compound_id", sa.String(64), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("previous", sa.String(64), nullable=False),
        sa.Column("reason", sa.String(300), nullable=False),
        sa.Column("started_at", Time(), nullable=False),
        sa.Column("changed_at", Time(), nullable=False),
    )
    op.create_table(
        "rollout_failures",
        sa.Column("version", sa.String(64), sa.ForeignKey("releases.version"), primary_key=True),
        sa.Column("device_id", sa.String(64), primary_key=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("error", sa.String(40), nullable=False),
        sa.Column("at", Time(), nullable=False),
    )


def downgrade() -> None:
    for table in ("rollout_failures", "rollouts", "release_files", "releases", "update_keys"):
        op.drop_table(table)
    with op.batch_alter_table("kiosk_health") as batch:
        for name in ("update_error", "update_target", "update_state"):
            batch.drop_column(name)
