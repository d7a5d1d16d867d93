"""vehicles: registered plates per compound (resident, visitor, service) and the risk list

Revision ID: v0006
Revises: a0005
Create Date: 2026-12-05 11:00:00

A branch of its own beside others made in parallel: ``server.db.migrate`` upgrades every head.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import server.models

revision: str = "v0006"
down_revision: str | None = "a0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "vehicles",
        sa.Column("id", sa.String(128), primary_key=True),
        sa.Column("compound_id", sa.String(128), sa.ForeignKey("compounds.id"), nullable=False),
        sa.Column("plate", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("household_id", sa.String(128), sa.ForeignKey("households.id"), nullable=True),
        sa.Column("valid_from", server.models.UtcDateTime(), nullable=True),
        sa.Column("valid_until", server.models.UtcDateTime(), nullable=True),
        sa.Column("max_entries", sa.Integer(), nullable=True),
        sa.Column("note", sa.String(200), nullable=False, server_default=""),
        sa.Column("created_at", server.models.UtcDateTime(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.UniqueConstraint("compound_id", "plate", name="uq_vehicles_plate"),
    )
    op.create_index("ix_vehicles_household_id", "vehicles", ["household_id"])
    op.create_table(
        "risk_plates",
        sa.Column("id", server.models.AutoId, primary_key=True, autoincrement=True),
        sa.Column("compound_id", sa.String(128), sa.ForeignKey("compounds.id"), nullable=False),
        sa.Column("plate", sa.String(16), nullable=False),
        sa.Column("area", sa.String(200), nullable=False),
        sa.Column("visited_on", sa.Date(), nullable=False),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("imported_at", server.models.UtcDateTime(), nullable=False),
        sa.UniqueConstraint("compound_id", "plate", name="uq_risk_plates_plate"),
    )


def downgrade() -> None:
    op.drop_table("risk_plates")
    op.drop_index("ix_vehicles_household_id", "vehicles")
    op.drop_table("vehicles")
