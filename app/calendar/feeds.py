"""Calendars from meetings and bookings: pure functions, data in, ``Calendar`` out.

Follows ../shared/ICAL.md: one VEVENT per meeting (no RRULE) with a UID that never
changes, times in UTC, SEQUENCE and STATUS:CANCELLED so that moves and cancellations
replace the subscriber's copy, and DTSTAMP/LAST-MODIFIED from the row's ``updated_at``
so that the same data always gives the same bytes. The few words of an event are in the
language of the request or of the ``force_locale`` block (an email's reader, a feed's owner).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from icalendar import Calendar, Event, vDuration, vText

from app.i18n import gettext as _
from app.models import Booking, BookingStatus, Circle, CircleStatus, Meeting

PRODID = "-//Learning Circles//Library staff development//EN"
REFRESH = dt.timedelta(hours=1)


@dataclass(frozen=True)
class Links:
    """What the data does not hold: the host for UIDs and the address of a circle's page."""

    host: str
    circle_url: Callable[[int], str]


@dataclass(frozen=True)
class CircleText:
    """What every meeting of a circle shares, worked out once per circle."""

    title: str
    description: str
    url: str
    place: str  # the branch; the room is added per meeting
    in_person: bool
    online: bool
    cancelled: bool

    @classmethod
    def of(cls, circle: Circle, links: Links) -> CircleText:
        url = links.circle_url(circle.id)
        course = circle.course
        lines = [
            _("Course: %(title)s (%(provider)s)", title=course.title, provider=course.provider)
        ]
        names = ", ".join(f.user.name for f in circle.facilitations)
        if names:
            lines.append(_("Facilitators: %(names)s", names=names))
        if circle.meets_online and circle.join_url:
            lines.append(_("Join online: %(url)s", url=circle.join_url))
        lines.append(url)
        return cls(
            title=circle.title,
            description="\n".join(lines),
            url=url,
            place=circle.branch.name,
            in_person=circle.meets_in_person,
            online=circle.meets_online,
            cancelled=circle.status == CircleStatus.cancelled,
        )

    def location(self, room_name: str | None) -> str:
        if not self.in_person:
            return _("Online")
        place = self.place + (f", {room_name}" if room_name else "")
        return _("%(place)s + online", place=place) if self.online else place


def _stamp(event: Event, uid: str, row, sequence: int, start, end) -> None:
    event.add("uid", uid)
    event.add("dtstamp", row.updated_at)
    event.add("last-modified", row.updated_at)
    event.add("created", row.created_at)
    event.add("sequence", sequence)
    event.add("dtstart", start)
    event.add("dtend", end)


def meeting_event(meeting: Meeting, text: CircleText, room_name: str | None, host: str) -> Event:
    event = Event()
    _stamp(
        event,
        f"meeting-{meeting.id}@{host}",
        meeting,
        meeting.sequence,
        meeting.starts_at,
        meeting.ends_at,
    )
    event.add("summary", text.title)
    event.add("location", text.location(room_name))
    event.add("description", text.description)
    event.add("url", text.url)
    cancelled = text.cancelled or meeting.is_cancelled
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    return event


def booking_event(booking: Booking, host: str) -> Event:
    """A room booking that is not a circle meeting (events, blocks)."""
    event = Event()
    _stamp(
        event,
        f"booking-{booking.id}@{host}",
        booking,
        booking.sequence,
        booking.starts_at,
        booking.ends_at,
    )
    event.add("summary", booking.title)
    event.add("location", f"{booking.room.branch.name}, {booking.room.name}")
    event.add("status", "CANCELLED" if booking.status == BookingStatus.cancelled else "CONFIRMED")
    return event


def meeting_events(meetings: Iterable[Meeting], links: Links) -> Iterable[Event]:
    """Events for meetings of any circles, with each circle's text worked out once."""
    texts: dict[int, CircleText] = {}
    for meeting in meetings:
        text = texts.get(meeting.circle_id)
        if text is None:
            text = texts[meeting.circle_id] = CircleText.of(meeting.circle, links)
        yield meeting_event(meeting, text, meeting.room_name, links.host)


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
    calendar = build_calendar(meeting_events(meetings, links), name=circle.title, method="PUBLISH")
    return calendar.to_ical().decode()
