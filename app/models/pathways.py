"""Pathways by career stage: ordered steps (a course, any course in a skill area, or a
credential) that staff follow, and who follows which."""

from __future__ import annotations

import datetime as dt
import enum

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.extensions import db
from app.models.attendance import Credential
from app.models.base import TimestampMixin, enum_column
from app.models.catalog import CareerStage, Course, SkillArea
from app.timeutil import UTCDateTime, utcnow


class PathwayStatus(enum.StrEnum):
    draft = "draft"  # the admin's, not shown to staff yet
    published = "published"  # staff browse and join it
    retired = "retired"  # its members still see it; nobody new joins


class StepKind(enum.StrEnum):
    """What a step asks for: worked out from which of its targets is set (never stored)."""

    course = "course"
    skill_area = "skill_area"
    credential = "credential"


class Pathway(TimestampMixin, db.Model):
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(200), unique=True)
    career_stage: so.Mapped[CareerStage] = so.mapped_column(enum_column(CareerStage, 32))
    goal: so.Mapped[str] = so.mapped_column(sa.String(300), default="")
    description: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    status: so.Mapped[PathwayStatus] = so.mapped_column(
        enum_column(PathwayStatus, 12), default=PathwayStatus.draft, index=True
    )

    steps: so.Mapped[list[PathwayStep]] = so.relationship(
        back_populates="pathway",
        order_by="[PathwayStep.position, PathwayStep.id]",
        cascade="all, delete-orphan",
    )

    def __repr__(self) -> str:
        return f"<Pathway {self.id} {self.name!r}>"

    @property
    def is_published(self) -> bool:
        return self.status == PathwayStatus.published

    @property
    def is_draft(self) -> bool:
        return self.status == PathwayStatus.draft

    @property
    def is_retired(self) -> bool:
        return self.status == PathwayStatus.retired


class PathwayStep(db.Model):
    """One step: exactly one of ``course_id``, ``skill_area`` and ``credential_id`` is set
    (the services see to it). The same target appears once per pathway."""

    __table_args__ = (
        sa.UniqueConstraint("pathway_id", "course_id", name="uq_pathway_step_course"),
        sa.UniqueConstraint("pathway_id", "skill_area", name="uq_pathway_step_skill_area"),
        sa.UniqueConstraint("pathway_id", "credential_id", name="uq_pathway_step_credential"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    pathway_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("pathway.id", ondelete="CASCADE"), index=True
    )
    position: so.Mapped[int] = so.mapped_column(default=0)
    course_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("course.id"), index=True)
    skill_area: so.Mapped[SkillArea | None] = so.mapped_column(enum_column(SkillArea, 32))
    credential_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("credential.id"), index=True
    )
    optional: so.Mapped[bool] = so.mapped_column(default=False)

    pathway: so.Mapped[Pathway] = so.relationship(back_populates="steps")
    course: so.Mapped[Course | None] = so.relationship()
    credential: so.Mapped[Credential | None] = so.relationship()

    def __repr__(self) -> str:
        return f"<PathwayStep {self.id} {self.kind} of pathway {self.pathway_id}>"

    @property
    def kind(self) -> StepKind:
        if self.course_id is not None:
            return StepKind.course
        if self.skill_area is not None:
            return StepKind.skill_area
        return StepKind.credential


class PathwayMember(db.Model):
    """A person following a pathway. Leaving deletes the row; joining again adds it back."""

    __table_args__ = (sa.UniqueConstraint("pathway_id", "user_id"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    pathway_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("pathway.id", ondelete="CASCADE"), index=True
    )
    user_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("user.id", ondelete="CASCADE"), index=True
    )
    joined_at: so.Mapped[dt.datetime] = so.mapped_column(UTCDateTime, default=utcnow)

    pathway: so.Mapped[Pathway] = so.relationship()


class SelfPacedStatus(enum.StrEnum):
    reported = "reported"  # by the person, waiting for a manager
    confirmed = "confirmed"  # counts as evidence on pathways
    declined = "declined"  # the manager's note says why; the person may report it again


class SelfPacedCompletion(TimestampMixin, db.Model):
    """A course a person finished on their own (on demand, not in a circle): pathway evidence
    once one of their managers (or an admin) confirms it. One per person and course."""

    __table_args__ = (sa.UniqueConstraint("user_id", "course_id"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("user.id", ondelete="CASCADE"), index=True
    )
    course_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("course.id", ondelete="CASCADE"), index=True
    )
    completed_on: so.Mapped[dt.date]
    evidence: so.Mapped[str] = so.mapped_column(sa.String(500), default="")  # a URL or a note
    status: so.Mapped[SelfPacedStatus] = so.mapped_column(
        enum_column(SelfPacedStatus, 10), default=SelfPacedStatus.reported, index=True
    )
    reviewed_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL")
    )
    reviewed_at: so.Mapped[dt.datetime | None] = so.mapped_column(UTCDateTime)
    review_note: so.Mapped[str] = so.mapped_column(sa.String(300), default="")

    course: so.Mapped[Course] = so.relationship()
    user = so.relationship("User", foreign_keys=[user_id])
    reviewed_by = so.relationship("User", foreign_keys=[reviewed_by_id])
