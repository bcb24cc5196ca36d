"""Calendars from meetings and bookings: pure functions, data in, ``Calendar`` out.

Follows ../shared/ICAL.md: one VEVENT per meeting (no RRULE) with a UID that never
changes, times in UTC, SEQUENCE and STATUS:CANCELLED so that moves and cancellations
replace the subscriber's copy, and DTSTAMP/LAST-MODIFIED from the row's ``updated_at``
so that the same data always gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from icalendar import Calendar, Event, vDuration, vText

from app.models import Booking, Circle, Meeting, MeetingStatus

PRODID = "-//Learning Circles//Library staff development//EN"
REFRESH = dt.timedelta(hours=1)


@dataclass(frozen=True)
class Links:
    """How to name things outside the data: the host for UIDs and a circle page's URL."""

    host: str
    circle_url: callable  # circle id -> absolute URL


def location(circle: Circle, booking: Booking | None) -> str:
    if circle.format == "virtual":
        return "Online"
    room = booking.room if booking is not None else circle.room
    place = circle.branch.name + (f", {room.name}" if room else "")
    return place + (" + online" if circle.format == "hybrid" else "")


def meeting_event(meeting: Meeting, circle: Circle, links: Links) -> Event:
    event = Event()
    event.add("uid", f"meeting-{meeting.id}@{links.host}")
    event.add("dtstamp", meeting.updated_at)
    event.add("last-modified", meeting.updated_at)
    event.add("created", meeting.created_at)
    event.add("sequence", meeting.sequence)
    event.add("dtstart", meeting.starts_at)
    event.add("dtend", meeting.ends_at)
    event.add("summary", circle.title)
    event.add("location", location(circle, meeting.booking))
    url = links.circle_url(circle.id)
    lines = [f"Course: {circle.course.title} ({circle.course.provider})"]
    facilitators = ", ".join(f.user.name for f in circle.facilitations)
    if facilitators:
        lines.append(f"Facilitators: {facilitators}")
    if circle.format != "in_person" and circle.join_url:
        lines.append(f"Join online: {circle.join_url}")
    lines.append(url)
    event.add("description", "\n".join(lines))
    event.add("url", url)
    cancelled = meeting.status == MeetingStatus.cancelled or circle.status == "cancelled"
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    return event


def booking_event(booking: Booking, links: Links) -> Event:
    """A room booking that is not a circle meeting (events, blocks)."""
    event = Event()
    event.add("uid", f"booking-{booking.id}@{links.host}")
    event.add("dtstamp", booking.updated_at)
    event.add("last-modified", booking.updated_at)
    event.add("created", booking.created_at)
    event.add("sequence", booking.sequence)
    event.add("dtstart", booking.starts_at)
    event.add("dtend", booking.ends_at)
    event.add("summary", booking.title)
    event.add("location", f"{booking.room.branch.name}, {booking.room.name}")
    event.add("status", "CANCELLED" if booking.status == "cancelled" else "CONFIRMED")
    return event


def build_calendar(
    events: Iterable[Event], *, name: str, description: str = "", method: str | None = None
) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if method:
        calendar.add("method", method)  # only on emailed .ics files, never on feeds
    # Explicit types: icalendar does not know these properties and would not escape them.
    calendar.add("name", vText(name))
    calendar.add("x-wr-calname", vText(name))
    if description:
        calendar.add("x-wr-caldesc", vText(description))
    calendar.add("refresh-interval", vDuration(REFRESH), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(REFRESH))
    for event in events:
        calendar.add_component(event)
    return calendar


def meetings_ics(meetings: Iterable[Meeting], circle: Circle, links: Links) -> str:
    """An .ics file to attach to an email about these meetings."""
    calendar = build_calendar(
        (meeting_event(m, circle, links) for m in meetings), name=circle.title, method="PUBLISH"
    )
    return calendar.to_ical().decode()
