"""The web app's tables: accounts, their compounds, sessions, the audit log, login failures,
self-registrations waiting for a clerk, and visitor invitations.

They share ``server.models.Base`` so one Alembic history makes them (0002_web_accounts).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.models import ID, AutoId, Base


class User(Base):
    """A person who logs in: office admin, compound clerk, gate supervisor or resident."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(AutoId, primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    display_name: Mapped[str] = mapped_column(String(200), default="")
    holder_id: Mapped[int | None] = mapped_column(ForeignKey("holders.id"))  # residents
    household_id: Mapped[str | None] = mapped_column(ID, ForeignKey("households.id"))  # residents
    active: Mapped[bool] = mapped_column(Boolean, default=True)  # disabled: cannot log in
    created_at: Mapped[datetime]
    # Set by an admin's password reset: every page asks for a new password until it is changed.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)


class UserCompound(Base):
    """A compound a clerk or gate supervisor works for."""

    __tablename__ = "user_compounds"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    compound_id: Mapped[str] = mapped_column(ID, ForeignKey("compounds.id"), primary_key=True)


class WebSession(Base):
    """A logged-in browser; the cookie holds the token, the table only its SHA-256."""

    __tablename__ = "web_sessions"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]


class AuditEntry(Base):
    """Who did or saw what, when: every change and every view of a phone number or photo."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(AutoId, primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    user_id: Mapped[int | None] = mapped_column(Integer)
    username: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(40))
    target: Mapped[str] = mapped_column(String(200))
    compound_id: Mapped[str | None] = mapped_column(String(128), index=True)
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


class LoginFailure(Base):
    """A counted attempt: a failed login (per user name and per client address, to slow
    guessing) or a self-registration (per client address, to stop flooding the queue)."""

    __tablename__ = "login_failures"
    id: Mapped[int] = mapped_column(AutoId, primary_key=True)
    key: Mapped[str] = mapped_column(String(120))
    at: Mapped[datetime]

    __table_args__ = (Index("ix_login_failures_key_at", "key", "at"),)


class Registration(Base):
    """A resident's self-registration from the poster QR, waiting for a clerk's decision."""

    __tablename__ = "registrations"
    id: Mapped[int] = mapped_column(AutoId, primary_key=True)
    compound_id: Mapped[str] = mapped_column(ID, ForeignKey("compounds.id"), index=True)
    household_id: Mapped[str] = mapped_column(ID, ForeignKey("households.id"))
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str] = mapped_column(String(40))
    photo: Mapped[bytes] = mapped_column(LargeBinary)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(16), default="pending")  # approved, rejected
    created_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]
    decided_by: Mapped[str | None] = mapped_column(String(80))
    reason: Mapped[str] = mapped_column(String(300), default="")
    holder_id: Mapped[int | None] = mapped_column(ForeignKey("holders.id"))


class Invitation(Base):
    """A visitor pass a resident made; the link's token is stored as SHA-256."""

    __tablename__ = "invitations"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    pass_id: Mapped[str] = mapped_column(ID, ForeignKey("passes.pass_id"))
    household_id: Mapped[str] = mapped_column(ID, ForeignKey("households.id"), index=True)
    visitor_name: Mapped[str] = mapped_column(String(200))
    visitor_phone: Mapped[str] = mapped_column(String(40))
    visit_date: Mapped[str] = mapped_column(String(10))  # local date, YYYY-MM-DD
    entries: Mapped[int] = mapped_column(Integer)
    qr_text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
