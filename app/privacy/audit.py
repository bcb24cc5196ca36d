"""Who saw or exported personal data: one ``AuditEvent`` per bulk view or export (a roster or
attendance CSV, someone else's learning record, a person's data download).

Views call :func:`record` after the data is built; the row goes in with the request's one
commit (app/boundary.py commits GET requests too), so a CSV that was served was logged, and
one that failed was not. Exports are logged whoever makes them; a learning record is logged
when someone other than the person opens it."""

from __future__ import annotations

import sqlalchemy as sa
from flask_login import current_user

from app.extensions import db
from app.i18n import lazy_gettext as _l
from app.models import AuditEvent, Circle, User
from app.querying import contains

EXPORTED = "personal_data.exported"
VIEWED = "personal_data.viewed"
ACTIONS = {EXPORTED: _l("Exported"), VIEWED: _l("Viewed")}

# What was seen or exported (the event's detail), as the log page names it.
WHAT = {
    "roster_csv": _l("Roster (CSV)"),
    "attendance_csv": _l("Attendance (CSV)"),
    "record": _l("Learning record"),
    "record_csv": _l("Learning record (CSV)"),
    "data_zip": _l("All their data (zip)"),
}


def person(user: User | int) -> str:
    """The subject of an event about one person."""
    return f"user:{user if isinstance(user, int) else user.id}"


def circle(circle_id: int) -> str:
    """The subject of an event about a circle's people (its roster, its attendance)."""
    return f"circle:{circle_id}"


def record(action: str, subject: str, detail: str) -> AuditEvent:
    """Log that the signed-in user saw (``VIEWED``) or took away (``EXPORTED``) ``detail``
    (a key of ``WHAT``) about ``subject`` (:func:`person` or :func:`circle`)."""
    if action not in ACTIONS or detail not in WHAT:  # a programming error, not input
        raise ValueError(f"unknown personal-data event {action!r} {detail!r}")
    event = AuditEvent(
        actor_id=current_user.id if current_user.is_authenticated else None,
        action=action,
        subject=subject,
        detail=detail,
    )
    db.session.add(event)
    return event


# --- the log --------------------------------------------------------------------------------


def log_query(who: str | None = None, action: str | None = None) -> sa.Select:
    """Personal-data events, newest first; ``who`` (a name or email, in part) matches the
    actor or the person the event is about."""
    query = sa.select(AuditEvent).where(AuditEvent.action.in_(ACTIONS))
    if action:
        query = query.where(AuditEvent.action == action)
    if who:
        people = sa.select(User.id).where(contains(who, User.search_text))
        subjects = sa.select(sa.literal("user:") + sa.cast(User.id, sa.String)).where(
            contains(who, User.search_text)
        )
        query = query.where(
            sa.or_(AuditEvent.actor_id.in_(people), AuditEvent.subject.in_(subjects))
        )
    return query.order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())


def names(events: list[AuditEvent]) -> dict[str, str]:
    """Who and what a page of events names, by ``user:<id>`` and ``circle:<id>`` (actors as
    people): two queries, however many events."""
    wanted: dict[str, set[int]] = {"user": set(), "circle": set()}
    for event in events:
        if event.actor_id:
            wanted["user"].add(event.actor_id)
        kind, _, number = event.subject.partition(":")
        if kind in wanted and number.isdigit():
            wanted[kind].add(int(number))
    found: dict[str, str] = {}
    for kind, model, column in (("user", User, User.name), ("circle", Circle, Circle.title)):
        if wanted[kind]:
            rows = db.session.execute(sa.select(model.id, column).where(model.id.in_(wanted[kind])))
            found |= {f"{kind}:{i}": text for i, text in rows}
    return found
