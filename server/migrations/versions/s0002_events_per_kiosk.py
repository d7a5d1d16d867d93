"""event ids are unique per kiosk; conflicts name the kiosks

Revision ID: s0002
Revises: 0001
Create Date: 2026-11-29 19:30:00

A branch of its own beside the web app's 0002: ``server.db.migrate`` upgrades every head.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "s0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# SQLite keeps the 0001 unique constraints unnamed; batch mode finds them by this convention.
NAMES = {"uq": "uq_%(table_name)s_%(column_0_name)s"}


def _drop_unique(table: str, column: str) -> None:
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table(table, naming_convention=NAMES) as batch:
            batch.drop_constraint(f"uq_{table}_{column}", type_="unique")
    else:
        op.drop_constraint(f"{table}_{column}_key", table, type_="unique")


def upgrade() -> None:
    _drop_unique("events", "event_id")
    with op.batch_alter_table("events") as batch:
        batch.create_unique_constraint("uq_events_device_event", ["device_id", "event_id"])
    _drop_unique("conflicts", "second_event_id")
    with op.batch_alter_table("conflicts") as batch:
        for column in ("first_device_id", "second_device_id"):
            batch.add_column(sa.Column(column, sa.String(64), nullable=False, server_default=""))
        batch.create_unique_constraint(
            "uq_conflicts_second", ["second_device_id", "second_event_id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("conflicts") as batch:
        batch.drop_constraint("uq_conflicts_second", type_="unique")
        batch.drop_column("second_device_id")
        batch.drop_column("first_device_id")
        batch.create_unique_constraint("uq_conflicts_second_event_id", ["second_event_id"])
    with op.batch_alter_table("events") as batch:
        batch.drop_constraint("uq_events_device_event", type_="unique")
        batch.create_unique_constraint("uq_events_event_id", ["event_id"])
