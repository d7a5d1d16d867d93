"""gates page and retention: colour history, kiosk health, office alarm acks, retention days

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 19:10:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import server.models

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AUTO_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UTC_TIME = server.models.UtcDateTime()


def upgrade() -> None:
    with op.batch_alter_table("compounds") as batch:
        batch.add_column(sa.Column("retention_days", sa.Integer(), nullable=True))
    op.create_index("ix_events_compound_time", "events", ["compound_id", "wall_time"])
    op.create_table(
        "colour_history",
        sa.Column("id", AUTO_ID, nullable=False),
        sa.Column("compound_id", sa.String(64), nullable=False),
        sa.Column("household_id", sa.String(128), nullable=False),
        sa.Column("colour", sa.String(16), nullable=False),
        sa.Column("at", UTC_TIME, nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_colour_history_compound_at", "colour_history", ["compound_id", "at"])
    # Households that exist already start their history with today's colour.
    op.execute(
        sa.text(
            "INSERT INTO colour_history (compound_id, household_id, colour, at) "
            "SELECT compound_id, id, colour, :now FROM households"
        ).bindparams(sa.bindparam("now", datetime.now(UTC), type_=UTC_TIME))
    )
    op.create_table(
        "kiosk_health",
        sa.Column("device_id", sa.String(64), nullable=False),
        sa.Column("last_seen", UTC_TIME, nullable=False),
        sa.Column("version", sa.String(40), nullable=False),
        sa.Column("backlog", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("device_id"),
    )
    op.create_table(
        "alarm_acks",
        sa.Column("event_id", sa.String(128), nullable=False),
        sa.Column("by", sa.String(80), nullable=False),
        sa.Column("at", UTC_TIME, nullable=False),
        sa.PrimaryKeyConstraint("event_id"),
    )


def downgrade() -> None:
    op.drop_table("alarm_acks")
    op.drop_table("kiosk_health")
    op.drop_index("ix_colour_history_compound_at", "colour_history")
    op.drop_table("colour_history")
    op.drop_index("ix_events_compound_time", "events")
    with op.batch_alter_table("compounds") as batch:
        batch.drop_column("retention_days")
