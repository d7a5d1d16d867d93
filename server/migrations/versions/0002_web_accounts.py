"""office web app: accounts, sessions, audit log, registrations, invitations; flats and colours

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 19:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import server.models

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AUTO_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UTC_TIME = server.models.UtcDateTime()


def _columns() -> None:
    with op.batch_alter_table("compounds") as batch:
        batch.add_column(
            sa.Column("timezone", sa.String(64), nullable=False, server_default="Asia/Shanghai")
        )
        batch.add_column(
            sa.Column("visitor_entries", sa.Integer(), nullable=False, server_default="3")
        )
    with op.batch_alter_table("households") as batch:
        for name in ("building", "unit", "room"):
            batch.add_column(sa.Column(name, sa.String(40), nullable=False, server_default=""))
        batch.add_column(
            sa.Column("colour_reason", sa.String(300), nullable=False, server_default="")
        )
        batch.add_column(sa.Column("colour_since", UTC_TIME, nullable=True))
        batch.create_index("ix_households_flat", ["compound_id", "building", "unit", "room"])
    with op.batch_alter_table("holders") as batch:
        batch.add_column(
            sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch.create_index("ix_holders_phone", ["phone"])
        batch.create_index("ix_holders_name", ["name"])
    with op.batch_alter_table("passes") as batch:
        batch.add_column(
            sa.Column("revoke_reason", sa.String(300), nullable=False, server_default="")
        )
        batch.add_column(sa.Column("qr_text", sa.Text(), nullable=True))


def upgrade() -> None:
    _columns()
    op.create_table(
        "users",
        sa.Column("id", AUTO_ID, nullable=False),
        sa.Column("username", sa.String(80), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("holder_id", AUTO_ID, sa.ForeignKey("holders.id"), nullable=True),
        sa.Column("household_id", sa.String(128), sa.ForeignKey("households.id"), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("username"),
    )
    op.create_table(
        "user_compounds",
        sa.Column("user_id", AUTO_ID, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("compound_id", sa.String(128), sa.ForeignKey("compounds.id"), nullable=False),
        sa.PrimaryKeyConstraint("user_id", "compound_id"),
    )
    op.create_table(
        "web_sessions",
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("user_id", AUTO_ID, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("expires_at", UTC_TIME, nullable=False),
        sa.PrimaryKeyConstraint("token_hash"),
    )
    op.create_index("ix_web_sessions_user_id", "web_sessions", ["user_id"])
    op.create_table(
        "audit_log",
        sa.Column("id", AUTO_ID, nullable=False),
        sa.Column("at", UTC_TIME, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("username", sa.String(80), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("target", sa.String(200), nullable=False),
        sa.Column("compound_id", sa.String(128), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_index("ix_audit_log_compound_id", "audit_log", ["compound_id"])
    op.create_table(
        "login_failures",
        sa.Column("id", AUTO_ID, nullable=False),
        sa.Column("key", sa.String(120), nullable=False),
        sa.Column("at", UTC_TIME, nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_login_failures_key_at", "login_failures", ["key", "at"])
    op.create_table(
        "registrations",
        sa.Column("id", AUTO_ID, nullable=False),
        sa.Column("compound_id", sa.String(128), sa.ForeignKey("compounds.id"), nullable=False),
        sa.Column("household_id", sa.String(128), sa.ForeignKey("households.id"), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("phone", sa.String(40), nullable=False),
        sa.Column("photo", sa.LargeBinary(), nullable=False),
        sa.Column("user_id", AUTO_ID, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("decided_at", UTC_TIME, nullable=True),
        sa.Column("decided_by", sa.String(80), nullable=True),
        sa.Column("reason", sa.String(300), nullable=False),
        sa.Column("holder_id", AUTO_ID, sa.ForeignKey("holders.id"), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_registrations_compound_id", "registrations", ["compound_id"])
    op.create_table(
        "invitations",
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("pass_id", sa.String(128), sa.ForeignKey("passes.pass_id"), nullable=False),
        sa.Column("household_id", sa.String(128), sa.ForeignKey("households.id"), nullable=False),
        sa.Column("visitor_name", sa.String(200), nullable=False),
        sa.Column("visitor_phone", sa.String(40), nullable=False),
        sa.Column("visit_date", sa.String(10), nullable=False),
        sa.Column("entries", sa.Integer(), nullable=False),
        sa.Column("qr_text", sa.Text(), nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("created_by", AUTO_ID, sa.ForeignKey("users.id"), nullable=False),
        sa.PrimaryKeyConstraint("token_hash"),
    )
    op.create_index("ix_invitations_household_id", "invitations", ["household_id"])


def downgrade() -> None:
    for table in (
        "invitations",
        "registrations",
        "login_failures",
        "audit_log",
        "web_sessions",
        "user_compounds",
        "users",
    ):
        op.drop_table(table)
    with op.batch_alter_table("passes") as batch:
        batch.drop_column("qr_text")
        batch.drop_column("revoke_reason")
    with op.batch_alter_table("holders") as batch:
        batch.drop_index("ix_holders_name")
        batch.drop_index("ix_holders_phone")
        batch.drop_column("active")
    with op.batch_alter_table("households") as batch:
        batch.drop_index("ix_households_flat")
        for name in ("colour_since", "colour_reason", "room", "unit", "building"):
            batch.drop_column(name)
    with op.batch_alter_table("compounds") as batch:
        batch.drop_column("visitor_entries")
        batch.drop_column("timezone")
