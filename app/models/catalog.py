"""The catalogue of free online courses."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.extensions import db
from app.models.base import TimestampMixin, enum_column
from app.models.search import Searchable
from app.text import hours_text
from app.timeutil import UTCDateTime


class CourseFormat(enum.StrEnum):
    self_paced = "self_paced"
    scheduled = "scheduled"
    on_demand_video = "on_demand_video"


class SkillArea(enum.StrEnum):
    management = "management"
    collection_management = "collection_management"
    programming = "programming"
    outreach = "outreach"
    technology = "technology"
    customer_service = "customer_service"
    health_information = "health_information"
    grant_writing = "grant_writing"
    leadership = "leadership"
    digital_literacy = "digital_literacy"


class CareerStage(enum.StrEnum):
    new_staff = "new_staff"
    emerging_managers = "emerging_managers"
    experienced_staff = "experienced_staff"
    all = "all"


class Course(Searchable, TimestampMixin, db.Model):
    """A free online course (MOOC) that circles work through."""

    search_fields = ("title", "provider", "credential", "description")

    __table_args__ = (sa.CheckConstraint("hours IS NULL OR hours > 0", name="hours_positive"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    title: so.Mapped[str] = so.mapped_column(sa.String(200), index=True)
    provider: so.Mapped[str] = so.mapped_column(sa.String(80), index=True)
    url: so.Mapped[str] = so.mapped_column(sa.String(500), unique=True)
    description: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    language: so.Mapped[str] = so.mapped_column(sa.String(8), default="en")
    format: so.Mapped[CourseFormat] = so.mapped_column(
        enum_column(CourseFormat, 20), default=CourseFormat.self_paced
    )
    hours: so.Mapped[Decimal | None] = so.mapped_column(sa.Numeric(5, 2))  # e.g. 1.5
    is_free: so.Mapped[bool] = so.mapped_column(default=True)
    credential: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    skill_area: so.Mapped[SkillArea] = so.mapped_column(enum_column(SkillArea, 32), index=True)
    career_stage: so.Mapped[CareerStage] = so.mapped_column(
        enum_column(CareerStage, 32), default=CareerStage.all
    )
    retired_at: so.Mapped[dt.datetime | None] = so.mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<Course {self.id} {self.title!r}>"

    @property
    def hours_text(self) -> str:
        """The estimated hours as people write them: "2", "1.5"."""
        return hours_text(self.hours)

    @property
    def retired(self) -> bool:
        return self.retired_at is not None
