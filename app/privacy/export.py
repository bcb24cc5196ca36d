"""Everything the app holds about a person, as a zip: ``data.json`` (all of it) and one CSV per
list (injection-safe, as every CSV export: app/csvio.py).

Secrets stay out: no password hash, no feed or API token hash (a feed link by its scope, an
API token by its name and prefix), no manage-link hash. Each list is one query, however many
rows the person has (the enrollments of the person, matched by account or by email as joining
does, are a subquery the other lists share)."""

from __future__ import annotations

import datetime as dt
import enum
import io
import json
import zipfile
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa

from app.csvio import csv_text
from app.extensions import db
from app.models import (
    ApiToken,
    Attendance,
    AuditEvent,
    Branch,
    Circle,
    Course,
    Credential,
    DigestSubscription,
    Enrollment,
    Facilitation,
    FeedToken,
    Interest,
    Meeting,
    NeedsAnswer,
    NeedsAnswerArea,
    NeedsSurvey,
    Outcome,
    Pathway,
    PathwayMember,
    SelfPacedCompletion,
    SurveyAnswer,
    User,
)
from app.privacy.audit import person as person_subject


@dataclass
class Listing:
    """One list of the export: its CSV file's name, its columns and its rows."""

    name: str
    header: list[str]
    rows: list[dict]


def plain(value: object) -> object:
    """A value as JSON holds it: ISO 8601 times, exact decimals as text, enums by value."""
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def _listing(name: str, query: sa.Select) -> Listing:
    rows = db.session.execute(query).mappings()
    return Listing(
        name,
        list(query.selected_columns.keys()),
        [{key: plain(value) for key, value in row.items()} for row in rows],
    )


def _enrollments_of(person: User) -> sa.ColumnElement[bool]:
    """The person's places, every status: by account, or by the email they joined with."""
    return sa.or_(Enrollment.user_id == person.id, Enrollment.email == person.email.lower())


def profile(person: User) -> dict:
    return {
        key: plain(value)
        for key, value in {
            "id": person.id,
            "name": person.name,
            "email": person.email,
            "roles": person.roles,
            "home_branch": person.home_branch.name if person.home_branch else None,
            "timezone": person.timezone,
            "locale": person.locale,
            "active": person.active,
            "created_at": person.created_at,
            "last_login_at": person.last_login_at,
        }.items()
    }


def listings(person: User) -> list[Listing]:
    """Every list about the person, in the order the export gives them."""
    places = sa.select(Enrollment.id).where(_enrollments_of(person))
    return [
        _listing("enrollments", _enrollments(person)),
        _listing("attendance", _attendance(places)),
        _listing("outcomes", _outcomes(places)),
        _listing("evaluation_answers", _evaluation_answers(places)),
        _listing("facilitations", _facilitations(person)),
        _listing("self_paced_completions", _self_paced(person)),
        _listing("pathways", _pathways(person)),
        _listing("interests", _interests(person)),
        _needs_answers(person),
        _listing("digest_subscriptions", _digests(person)),
        _listing("feed_links", _feed_links(person)),
        _listing("api_tokens", _api_tokens(person)),
        _listing("audit_events", _audit_events(person)),
    ]


def _enrollments(person: User) -> sa.Select:
    return (
        sa.select(
            Enrollment.id,
            Enrollment.circle_id,
            Circle.title.label("circle"),
            Course.title.label("course"),
            Enrollment.status,
            Enrollment.name,
            Enrollment.email,
            Enrollment.goals,
            Enrollment.answer,
            Enrollment.consent_contact,
            Enrollment.locale,
            Enrollment.created_at.label("joined_at"),
            Enrollment.enrolled_at,
            Enrollment.completed_at,
            Enrollment.withdrawn_at,
        )
        .join(Circle, Enrollment.circle_id == Circle.id)
        .join(Course, Circle.course_id == Course.id)
        .where(_enrollments_of(person))
        .order_by(Enrollment.created_at, Enrollment.id)
    )


def _attendance(places: sa.Select) -> sa.Select:
    return (
        sa.select(
            Attendance.enrollment_id,
            Circle.title.label("circle"),
            Meeting.starts_at.label("meeting_starts_at"),
            Meeting.ends_at.label("meeting_ends_at"),
            Attendance.status,
            Attendance.updated_at.label("marked_at"),
        )
        .join(Meeting, Attendance.meeting_id == Meeting.id)
        .join(Circle, Meeting.circle_id == Circle.id)
        .where(Attendance.enrollment_id.in_(places))
        .order_by(Meeting.starts_at, Attendance.id)
    )


def _outcomes(places: sa.Select) -> sa.Select:
    return (
        sa.select(
            Outcome.enrollment_id,
            Circle.title.label("circle"),
            Outcome.kind,
            Outcome.title,
            Credential.name.label("credential"),
            Outcome.ce_hours,
            Outcome.funder,
            Outcome.amount_cents,
            Outcome.achieved_on,
            Outcome.evidence_url,
            Outcome.status,
            Outcome.created_at,
        )
        .join(Circle, Outcome.circle_id == Circle.id)
        .outerjoin(Credential, Outcome.credential_id == Credential.id)
        .where(Outcome.enrollment_id.in_(places))
        .order_by(Outcome.achieved_on, Outcome.id)
    )


def _evaluation_answers(places: sa.Select) -> sa.Select:
    return (
        sa.select(
            SurveyAnswer.enrollment_id,
            Circle.title.label("circle"),
            SurveyAnswer.goal_met,
            SurveyAnswer.recommend,
            SurveyAnswer.changed_work,
            SurveyAnswer.course_rating,
            SurveyAnswer.circle_rating,
            SurveyAnswer.created_at,
        )
        .join(Circle, SurveyAnswer.circle_id == Circle.id)
        .where(SurveyAnswer.enrollment_id.in_(places))
        .order_by(SurveyAnswer.created_at, SurveyAnswer.id)
    )


def _facilitations(person: User) -> sa.Select:
    return (
        sa.select(Facilitation.circle_id, Circle.title.label("circle"), Facilitation.role)
        .join(Circle, Facilitation.circle_id == Circle.id)
        .where(Facilitation.user_id == person.id)
        .order_by(Facilitation.circle_id)
    )


def _self_paced(person: User) -> sa.Select:
    return (
        sa.select(
            Course.title.label("course"),
            SelfPacedCompletion.completed_on,
            SelfPacedCompletion.evidence,
            SelfPacedCompletion.status,
            SelfPacedCompletion.reviewed_at,
            SelfPacedCompletion.review_note,
            SelfPacedCompletion.created_at,
        )
        .join(Course, SelfPacedCompletion.course_id == Course.id)
        .where(SelfPacedCompletion.user_id == person.id)
        .order_by(SelfPacedCompletion.completed_on, SelfPacedCompletion.id)
    )


def _pathways(person: User) -> sa.Select:
    return (
        sa.select(Pathway.name.label("pathway"), PathwayMember.joined_at)
        .join(Pathway, PathwayMember.pathway_id == Pathway.id)
        .where(PathwayMember.user_id == person.id)
        .order_by(PathwayMember.joined_at, PathwayMember.id)
    )


def _interests(person: User) -> sa.Select:
    return (
        sa.select(
            Course.title.label("course"),
            Interest.skill_area,
            Interest.format,
            Interest.time_of_day,
            Branch.name.label("branch"),
            Interest.status,
            Interest.invited_at,
            Interest.created_at,
        )
        .outerjoin(Course, Interest.course_id == Course.id)
        .outerjoin(Branch, Interest.branch_id == Branch.id)
        .where(Interest.user_id == person.id)
        .order_by(Interest.created_at, Interest.id)
    )


def _needs_answers(person: User) -> Listing:
    """The yearly survey's answers, each with the skill areas it named (a second query)."""
    areas: dict[int, list[str]] = defaultdict(list)
    for answer_id, area in db.session.execute(
        sa.select(NeedsAnswerArea.answer_id, NeedsAnswerArea.skill_area)
        .join(NeedsAnswer, NeedsAnswerArea.answer_id == NeedsAnswer.id)
        .where(NeedsAnswer.user_id == person.id)
        .order_by(NeedsAnswerArea.id)
    ):
        areas[answer_id].append(plain(area))
    listing = _listing(
        "needs_survey_answers",
        sa.select(
            NeedsAnswer.id,
            NeedsSurvey.year,
            NeedsAnswer.career_goal,
            NeedsAnswer.format,
            NeedsAnswer.time_of_day,
            NeedsAnswer.comments,
            NeedsAnswer.created_at,
        )
        .join(NeedsSurvey, NeedsAnswer.survey_id == NeedsSurvey.id)
        .where(NeedsAnswer.user_id == person.id)
        .order_by(NeedsSurvey.year),
    )
    listing.header.append("skill_areas")
    for row in listing.rows:
        row["skill_areas"] = areas[row["id"]]
    return listing


def _digests(person: User) -> sa.Select:
    return (
        sa.select(
            DigestSubscription.email,
            DigestSubscription.frequency,
            DigestSubscription.skill_areas,
            DigestSubscription.branch_ids,
            DigestSubscription.career_stage,
            DigestSubscription.format,
            DigestSubscription.locale,
            DigestSubscription.timezone,
            DigestSubscription.confirmed_at,
            DigestSubscription.last_sent_at,
            DigestSubscription.created_at,
        )
        .where(
            sa.or_(
                DigestSubscription.user_id == person.id,
                sa.func.lower(DigestSubscription.email) == person.email.lower(),
            )
        )
        .order_by(DigestSubscription.id)
    )


def _feed_links(person: User) -> sa.Select:
    return (
        sa.select(
            FeedToken.scope,
            FeedToken.target_id,
            FeedToken.created_at,
            FeedToken.last_used_at,
            FeedToken.revoked_at,
        )
        .where(FeedToken.user_id == person.id)
        .order_by(FeedToken.id)
    )


def _api_tokens(person: User) -> sa.Select:
    return (
        sa.select(
            ApiToken.name,
            ApiToken.prefix,
            ApiToken.scopes,
            ApiToken.created_at,
            ApiToken.expires_at,
            ApiToken.last_used_at,
            ApiToken.revoked_at,
        )
        .where(ApiToken.user_id == person.id)
        .order_by(ApiToken.id)
    )


def _audit_events(person: User) -> sa.Select:
    """What the person did that left a trail, and who saw or exported their data."""
    return (
        sa.select(
            AuditEvent.created_at,
            AuditEvent.action,
            AuditEvent.subject,
            AuditEvent.detail,
            User.name.label("by"),
        )
        .outerjoin(User, AuditEvent.actor_id == User.id)
        .where(
            sa.or_(AuditEvent.actor_id == person.id, AuditEvent.subject == person_subject(person))
        )
        .order_by(AuditEvent.created_at, AuditEvent.id)
    )


# --- the zip ----------------------------------------------------------------------------------


def _cell(value: object) -> object:
    return ", ".join(str(v) for v in value) if isinstance(value, list) else value


def build_zip(person: User, now: dt.datetime) -> bytes:
    """``data.json`` and one CSV per list, zipped in memory (a person's data is small)."""
    lists = listings(person)
    data = {
        "exported_at": plain(now),
        "profile": profile(person),
        **{listing.name: listing.rows for listing in lists},
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data.json", json.dumps(data, ensure_ascii=False, indent=2))
        for listing in lists:
            rows = ([_cell(v) for v in row.values()] for row in listing.rows)
            archive.writestr(f"{listing.name}.csv", csv_text(listing.header, rows))
    return buffer.getvalue()
