"""People and what they did: accounts, branch managers, the audit trail."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_login import UserMixin
from werkzeug.security import check_password_hash, generate_password_hash

from app.extensions import db
from app.models.base import TimestampMixin
from app.models.search import Searchable
from app.timeutil import UTCDateTime, utcnow

if TYPE_CHECKING:  # names in annotations; SQLAlchemy resolves them through its registry
    from app.models.places import Branch


class User(Searchable, UserMixin, TimestampMixin, db.Model):
    search_fields = ("name", "email")

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    email: so.Mapped[str] = so.mapped_column(sa.String(254), unique=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(120))
    password_hash: so.Mapped[str | None] = so.mapped_column(sa.String(255))
    is_admin: so.Mapped[bool] = so.mapped_column(default=False)
    is_facilitator: so.Mapped[bool] = so.mapped_column(default=False)
    active: so.Mapped[bool] = so.mapped_column(default=True)
    timezone: so.Mapped[str] = so.mapped_column(sa.String(64), default="America/New_York")
    locale: so.Mapped[str] = so.mapped_column(sa.String(8), default="en")
    # Part of the login cookie: bumping it signs out every copy of that cookie.
    session_version: so.Mapped[int] = so.mapped_column(default=1)
    last_login_at: so.Mapped[dt.datetime | None] = so.mapped_column(UTCDateTime)
    # Set when the account was deleted: the row stays, without anything personal, so that
    # attendance, completions and outcomes keep counting in reports.
    anonymised_at: so.Mapped[dt.datetime | None] = so.mapped_column(UTCDateTime)
    # Where the person works: their "own staff" for the managers of that branch (pathway
    # progress and learning records per person). None until an admin or an import sets it.
    # NO ACTION: branches are never deleted, and one that people work at must not be.
    home_branch_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("branch.id"), index=True)

    home_branch: so.Mapped[Branch | None] = so.relationship(foreign_keys=[home_branch_id])
    managed_branches: so.Mapped[list[Branch]] = so.relationship(
        secondary="branch_manager", back_populates="managers", order_by="Branch.name"
    )

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)

    def end_sessions(self) -> None:
        self.session_version += 1

    @property
    def roles(self) -> list[str]:
        roles = []
        if self.is_admin:
            roles.append("administrator")
        if self.managed_branches:
            roles.append("branch manager")
        if self.is_facilitator:
            roles.append("facilitator")
        return roles or ["participant"]


branch_manager = sa.Table(
    "branch_manager",
    db.metadata,
    sa.Column("user_id", sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("branch_id", sa.ForeignKey("branch.id", ondelete="CASCADE"), primary_key=True),
)


class AuditEvent(db.Model):
    """Who did what, for changes that need a trail (overrides, withdrawals, corrections)."""

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    actor_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL")
    )
    action: so.Mapped[str] = so.mapped_column(sa.String(64))
    subject: so.Mapped[str] = so.mapped_column(sa.String(64), index=True)
    detail: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    created_at: so.Mapped[dt.datetime] = so.mapped_column(UTCDateTime, default=utcnow)
