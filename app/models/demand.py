"""Interest and demand: staff say "I'd join a circle on this" about a course or a skill area,
with how and when they would come; the demand board counts them and a new circle on the
course invites them."""

from __future__ import annotations

import datetime as dt
import enum

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.extensions import db
from app.models.base import TimestampMixin, enum_column
from app.models.catalog import Course, SkillArea
from app.models.places import Branch
from app.timeutil import UTCDateTime


class InterestFormat(enum.StrEnum):
    in_person = "in_person"
    virtual = "virtual"
    on_demand = "on_demand"


class TimeOfDay(enum.StrEnum):
    morning = "morning"
    afternoon = "afternoon"
    evening = "evening"


class InterestStatus(enum.StrEnum):
    waiting = "waiting"  # counted on the board
    invited = "invited"  # a circle on the course was published and the person was told


class Interest(TimestampMixin, db.Model):
    """One person's interest in one target: a course or a skill area (exactly one of the two:
    the services see to it, as for pathway steps).
    A second click on the same target changes the preferences of this row (unique per person
    and target; NULLs do not clash). Withdrawing deletes it. ``created_at`` is how long the
    person has been waiting: invitations go oldest first."""

    __table_args__ = (
        sa.UniqueConstraint("user_id", "course_id", name="uq_interest_course"),
        sa.UniqueConstraint("user_id", "skill_area", name="uq_interest_skill_area"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("user.id", ondelete="CASCADE"), index=True
    )
    course_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("course.id", ondelete="CASCADE"), index=True
    )
    skill_area: so.Mapped[SkillArea | None] = so.mapped_column(enum_column(SkillArea, 32))
    format: so.Mapped[InterestFormat] = so.mapped_column(enum_column(InterestFormat, 12))
    time_of_day: so.Mapped[TimeOfDay] = so.mapped_column(enum_column(TimeOfDay, 12))
    branch_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("branch.id", ondelete="SET NULL"), index=True
    )
    status: so.Mapped[InterestStatus] = so.mapped_column(
        enum_column(InterestStatus, 8), default=InterestStatus.waiting, index=True
    )
    invited_at: so.Mapped[dt.datetime | None] = so.mapped_column(UTCDateTime)
    invited_circle_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("circle.id", ondelete="SET NULL")
    )

    course: so.Mapped[Course | None] = so.relationship()
    branch: so.Mapped[Branch | None] = so.relationship()
    user = so.relationship("User")

    def __repr__(self) -> str:
        target = f"course {self.course_id}" if self.course_id else self.skill_area
        return f"<Interest {self.id} of user {self.user_id} in {target}>"


class CareerGoal(enum.StrEnum):
    """The career goals of the statewide needs assessment."""

    advance = "advance"  # move up: a new role or a promotion
    lead = "lead"  # take on leadership
    milestone = "milestone"  # reach a career milestone, e.g. a credential
    deepen = "deepen"  # grow in the current role


class NeedsSurveyStatus(enum.StrEnum):
    open = "open"
    closed = "closed"


class NeedsSurvey(TimestampMixin, db.Model):
    """The yearly needs survey an admin opens: one per year; staff answer it once."""

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    year: so.Mapped[int] = so.mapped_column(unique=True)
    intro: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    closes_on: so.Mapped[dt.date]
    status: so.Mapped[NeedsSurveyStatus] = so.mapped_column(
        enum_column(NeedsSurveyStatus, 8), default=NeedsSurveyStatus.open
    )


class NeedsAnswer(TimestampMixin, db.Model):
    """One person's answer to a needs survey. The skill areas they want become interest
    (demand) rows; the board compares this year's answers with last year's."""

    __table_args__ = (sa.UniqueConstraint("survey_id", "user_id"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    survey_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("needs_survey.id", ondelete="CASCADE"), index=True
    )
    user_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("user.id", ondelete="CASCADE"), index=True
    )
    career_goal: so.Mapped[CareerGoal] = so.mapped_column(enum_column(CareerGoal, 12))
    format: so.Mapped[InterestFormat] = so.mapped_column(enum_column(InterestFormat, 12))
    time_of_day: so.Mapped[TimeOfDay] = so.mapped_column(enum_column(TimeOfDay, 12))
    comments: so.Mapped[str] = so.mapped_column(sa.Text, default="")

    areas: so.Mapped[list[NeedsAnswerArea]] = so.relationship(
        cascade="all, delete-orphan", order_by="NeedsAnswerArea.skill_area"
    )
    survey: so.Mapped[NeedsSurvey] = so.relationship()
    user = so.relationship("User")


class NeedsAnswerArea(db.Model):
    """A skill area a needs-survey answer asks for."""

    __table_args__ = (sa.UniqueConstraint("answer_id", "skill_area"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    answer_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("needs_answer.id", ondelete="CASCADE"), index=True
    )
    skill_area: so.Mapped[SkillArea] = so.mapped_column(enum_column(SkillArea, 32))
