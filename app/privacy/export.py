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
from app.participation.places import held_by
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
    places = sa.select(Enrollment.id).where(held_by(person))
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
        .where(held_by(person))
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


def _of_places(model, places: sa.Select, *names: str) -> sa.Select:
    """The named columns of ``model``'s rows about the person's places, each with its place
    and its circle's title, oldest first; a caller adds what it joins."""
    return (
        sa.select(model.enrollment_id, Circle.title.label("circle"), *_columns(model, *names))
        .join(Circle, model.circle_id == Circle.id)
        .where(model.enrollment_id.in_(places))
        .order_by(model.id)
    )


def _outcomes(places: sa.Select) -> sa.Select:
    names = ("kind", "title", "ce_hours", "funder", "amount_cents", "achieved_on")
    return (
        _of_places(Outcome, places, *names, "evidence_url", "status", "created_at")
        .add_columns(Credential.name.label("credential"))
        .outerjoin(Credential, Outcome.credential_id == Credential.id)
    )


def _evaluation_answers(places: sa.Select) -> sa.Select:
    names = ("goal_met", "recommend", "changed_work", "course_rating", "circle_rating")
    return _of_places(SurveyAnswer, places, *names, "created_at")


def _columns(model, *names: str) -> list:
    return [getattr(model, name) for name in names]


def _owned(model, person: User, *names: str) -> sa.Select:
    """The named columns of ``model``'s rows that are the person's (``user_id``), in the order
    of its key (oldest first); a caller adds what it joins."""
    return (
        sa.select(*_columns(model, *names))
        .where(model.user_id == person.id)
        .order_by(*sa.inspect(model).primary_key)
    )


def _facilitations(person: User) -> sa.Select:
    return (
        _owned(Facilitation, person, "circle_id", "role")
        .add_columns(Circle.title.label("circle"))
        .join(Circle, Facilitation.circle_id == Circle.id)
    )


def _self_paced(person: User) -> sa.Select:
    names = ("completed_on", "evidence", "status", "reviewed_at", "review_note", "created_at")
    return (
        _owned(SelfPacedCompletion, person, *names)
        .add_columns(Course.title.label("course"))
        .join(Course, SelfPacedCompletion.course_id == Course.id)
    )


def _pathways(person: User) -> sa.Select:
    return (
        _owned(PathwayMember, person, "joined_at")
        .add_columns(Pathway.name.label("pathway"))
        .join(Pathway, PathwayMember.pathway_id == Pathway.id)
    )


def _interests(person: User) -> sa.Select:
    names = ("skill_area", "format", "time_of_day", "status", "invited_at", "created_at")
    return (
        _owned(Interest, person, *names)
        .add_columns(Course.title.label("course"), Branch.name.label("branch"))
        .outerjoin(Course, Interest.course_id == Course.id)
        .outerjoin(Branch, Interest.branch_id == Branch.id)
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
    """Subscriptions made signed in, or as a visitor with the account's email."""
    names = ("email", "frequency", "skill_areas", "branch_ids", "career_stage", "format")
    return (
        sa.select(
            *_columns(DigestSubscription, *names, "locale", "timezone"),
            *_columns(DigestSubscription, "confirmed_at", "last_sent_at", "created_at"),
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
    """By scope and dates: the link's secret is not kept, its hash stays out."""
    return _owned(
        FeedToken, person, "scope", "target_id", "created_at", "last_used_at", "revoked_at"
    )


def _api_tokens(person: User) -> sa.Select:
    """By name and prefix: the hash stays out."""
    names = ("name", "prefix", "scopes", "created_at", "expires_at", "last_used_at", "revoked_at")
    return _owned(ApiToken, person, *names)


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
