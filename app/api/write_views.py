"""The write API, /api/v1, for staff tools with a personal API token (app/api/tokens.py).

Each endpoint checks access as its page does (app/auth/permissions.py) and calls the page's
service, inside the request's one unit of work (app/boundary.py). What a service refuses is
undone (a savepoint, as ``saving`` does for forms) and answered as JSON: 409 naming the clash
for a conflict, else 422 with the message and the field it concerns.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from functools import wraps

from flask import abort, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user
from spectree import Response

from app.api import write_schemas as ws
from app.api.schemas import ErrorBody
from app.api.spec import spec
from app.api.tokens import token_required
from app.api.views import bp
from app.attendance import outcomes as outcome_rules
from app.attendance import services as attendance
from app.auth.permissions import (
    editable_circle_or_404,
    editable_part_or_404,
    is_staff,
    visible_circle_or_404,
)
from app.edges import refuse
from app.extensions import csrf, db
from app.models import Enrollment, Meeting, Outcome, Room, User
from app.participation import services as participation
from app.rooms import bookings
from app.rules import RuleViolation
from app.security import is_web_url
from app.timeutil import local_today, utcnow

BEARER = {"bearer": []}  # the security requirement of every write endpoint (app/api/spec.py)


def write_responses(model, status: int = 200) -> Response:
    """What a write endpoint answers: ``model``, and the refusals it may give."""
    return Response(
        **{f"HTTP_{status}": model},
        HTTP_400=ErrorBody,  # a body that is not what the document says
        HTTP_401=ErrorBody,  # no token, or one that does not work (any more)
        HTTP_403=ErrorBody,  # a scope the token lacks, or a page the person may not use
        HTTP_404=ErrorBody,
        HTTP_409=ws.RuleError,
        HTTP_422=ws.RuleError,
        HTTP_429=ErrorBody,
    )


def _refused(violation: RuleViolation):
    code = 409 if violation.conflict else 422
    body = ws.RuleError(
        error=ws.RuleDetail(
            code="conflict" if violation.conflict else "unprocessable_content",
            message=violation.message,
            field=violation.field,
        )
    )
    response = jsonify(body.model_dump())
    response.status_code = code
    return response


def write(scope: str, body=None, resp: Response | None = None, tags=()) -> Callable:
    """A write endpoint: a token with ``scope`` (401/403 first, whatever the body), then the
    body checked against ``body``, then the view, whose refusal is undone and answered."""

    def decorate(view):
        @wraps(view)
        def run(*args, **kwargs):
            try:
                with db.session.begin_nested():
                    return view(*args, **kwargs)
            except RuleViolation as violation:
                return _refused(violation)

        validated = spec.validate(json=body, resp=resp, tags=list(tags), security=BEARER)(run)

        @wraps(validated)
        def checked(*args, **kwargs):  # before spectree, which would read another body as a form
            if body is not None and not request.is_json:
                refuse(_("Send the body as JSON, with Content-Type: application/json."))
            return validated(*args, **kwargs)

        return csrf.exempt(token_required(scope)(checked))  # no cookie is read: no CSRF

    return decorate


def _me() -> User:
    return current_user._get_current_object()


def _json(model, status: int = 200):
    response = jsonify(model.model_dump(mode="json"))
    response.status_code = status
    return response


# --- joining and leaving ---------------------------------------------------------------------


def _place(enrollment: Enrollment) -> ws.Place:
    return ws.Place(
        id=enrollment.id,
        circle_id=enrollment.circle_id,
        status=enrollment.status,
        waitlist_position=participation.waitlist_position(enrollment),
    )


@bp.post("/circles/<int:circle_id>/join")
@write("participation", ws.JoinBody, write_responses(ws.Place, 201), ["participation"])
def join(circle_id: int):
    """Join a circle as the token's person: a seat, or a place on the waitlist when it is
    full (as the circle's page does)."""
    data: ws.JoinBody = request.context.json
    circle = visible_circle_or_404(circle_id)
    me = _me()
    joiner = participation.Joiner(
        name=me.name,
        email=me.email,
        user=me,
        goals=data.goals,
        answer=data.answer,
        consent_contact=data.consent_contact,
    )
    return _json(_place(participation.join(circle, joiner, utcnow())), 201)


@bp.post("/circles/<int:circle_id>/withdraw")
@write("participation", None, write_responses(ws.Withdrawn), ["participation"])
def withdraw(circle_id: int):
    """Leave a circle (the token's person's place in it); a freed seat goes to the first on
    the waitlist. No place in it: 404."""
    circle = visible_circle_or_404(circle_id)
    enrollment = participation.place_of(circle, _me().email)
    if enrollment is None:
        abort(404)
    moved = participation.withdraw(enrollment, by=_me(), now=utcnow())
    return _json(
        ws.Withdrawn(
            id=enrollment.id,
            circle_id=circle.id,
            status=enrollment.status,
            moved_up=len(moved),
        )
    )


# --- rooms -----------------------------------------------------------------------------------


@bp.post("/bookings")
@write("bookings", ws.BookingBody, write_responses(ws.Bookings, 201), ["bookings"])
def book():
    """Book a room (staff), once or weekly (``repeats``): all of a series or none of it. A
    clash is a 409 naming the booking in the way."""
    if not is_staff(_me()):
        abort(403)
    data: ws.BookingBody = request.context.json
    room = db.session.get(Room, data.room_id)
    if room is None:
        abort(404)
    _room, made = bookings.book_weekly(
        room.branch,
        room.id,
        data.date,
        data.start_time,
        data.end_time,
        repeats=data.repeats,
        title=data.title,
        by=_me(),
        now=utcnow(),
    )
    return _json(ws.Bookings(items=[ws.Booking.model_validate(b) for b in made]), 201)


# --- attendance ------------------------------------------------------------------------------


@bp.post("/meetings/<int:meeting_id>/attendance")
@write("attendance", ws.AttendanceBody, write_responses(ws.Sheet), ["attendance"])
def take_attendance(meeting_id: int):
    """Set attendance marks for a meeting that has started (its facilitators, its branch's
    managers, admins); marks left out stay as they are. Every change is in the history."""
    data: ws.AttendanceBody = request.context.json
    meeting = editable_part_or_404(Meeting, meeting_id)
    saved = attendance.sheet_of(meeting)
    changed = attendance.record_attendance(
        meeting,
        {m.enrollment_id: m.status for m in data.marks},
        data.walk_ins if data.walk_ins is not None else (saved.walk_ins if saved else 0),
        data.note if data.note is not None else (saved.note if saved else ""),
        by=_me(),
        now=utcnow(),
    )
    sheet = attendance.sheet_of(meeting)
    return _json(
        ws.Sheet(
            meeting_id=meeting.id,
            changed=changed,
            walk_ins=sheet.walk_ins,
            note=sheet.note,
            marks=[
                ws.Mark(enrollment_id=eid, status=status)
                for eid, status in sorted(attendance.marks(meeting).items())
            ],
        )
    )


# --- outcomes --------------------------------------------------------------------------------


def _decimal(value: float | None) -> Decimal | None:
    return Decimal(str(value)) if value is not None else None


@bp.post("/circles/<int:circle_id>/outcomes")
@write("outcomes", ws.OutcomeBody, write_responses(ws.OutcomeOut, 201), ["outcomes"])
def record_outcome(circle_id: int):
    """Record a confirmed outcome for a participant or the whole circle (as its facilitators
    do on the outcomes page). The same credential again for the same person is a 409 unless
    ``again``."""
    data: ws.OutcomeBody = request.context.json
    circle = editable_circle_or_404(circle_id)
    if data.evidence_url and not is_web_url(data.evidence_url):
        raise RuleViolation(
            _("Enter a web address starting with https:// or http://."), "evidence_url"
        )
    outcome: Outcome = outcome_rules.add_outcome(
        circle,
        outcome_rules.OutcomeInput(
            kind=data.kind,
            title=data.title,
            achieved_on=data.achieved_on,
            enrollment_id=data.enrollment_id,
            ce_hours=_decimal(data.ce_hours),
            funder=data.funder,
            amount=_decimal(data.amount),
            evidence_url=data.evidence_url,
            credential_id=data.credential_id,
            again=data.again,
        ),
        by=_me(),
        today=local_today(circle.timezone),
    )
    return _json(ws.OutcomeOut.model_validate(outcome), 201)
