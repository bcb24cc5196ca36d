"""Emails say what changed in words (title, times with the zone's name, place, booked room),
their .ics carries the very UID the feeds give the same meeting (from BASE_URL, whatever Host
the request came under), and the circle page shows the rooms the feeds show (issue 13)."""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import icalendar
import pytest
import sqlalchemy as sa

from app.extensions import db
from app.labels import when
from app.models import Meeting, OutboxMessage, Room, User
from app.rooms import circle_bookings
from tests.conftest import login
from tests.mail import send_outbox, smtp_inbox

TZ = "America/New_York"


@pytest.fixture
def app_config() -> dict:
    # Requests arrive under circles.test (a name the app answers to); links and UIDs must
    # still use the configured base URL's host.
    return {"BASE_URL": "https://circles.example.org", "TRUSTED_HOSTS": ["circles.test"]}


def meetings(query, circle_id: int) -> list[tuple[int, dt.datetime]]:
    return query(
        lambda: [
            (m.id, m.starts_at)
            for m in db.session.scalars(
                sa.select(Meeting).where(Meeting.circle_id == circle_id).order_by(Meeting.starts_at)
            )
        ]
    )


def zoned(app, instant: dt.datetime, pattern: str = "zoned") -> str:
    with app.test_request_context():
        return when(instant, TZ, pattern)


def vevents(ics: bytes | str) -> dict[str, icalendar.Event]:
    return {str(e["UID"]): e for e in icalendar.Calendar.from_ical(ics).walk("VEVENT")}


def delivered(app, to: str, subject: str):
    """Send the outbox over real SMTP; the one message ``to`` got whose subject starts so."""
    with smtp_inbox(app) as inbox:
        send_outbox(app)
    found = [m for rcpt, m in inbox.messages if rcpt == [to] and m["Subject"].startswith(subject)]
    assert len(found) == 1, [m["Subject"] for _r, m in inbox.messages]
    message = found[0]
    return message.get_body(("plain",)).get_content(), next(message.iter_attachments())


def personal_feed(client) -> str:
    page = client.post("/calendar/", data={"scope": "personal", "action": "issue"}).text
    match = re.search(r'value="https://circles\.example\.org(/feeds/[^"]+\.ics)"', page)
    assert match, page[-2000:]
    return match.group(1)


def book(app, meeting_id: int, room_id: int, by: int) -> None:
    with app.app_context():
        meeting = db.session.get(Meeting, meeting_id)
        circle_bookings.book_meetings(
            meeting.circle,
            db.session.get(Room, room_id),
            [meeting],
            by=db.session.get(User, by),
            all_or_nothing=True,
        )
        db.session.commit()


def move(client, meeting_id: int, day: dt.date, at: str, **kwargs):
    return client.post(
        f"/meetings/{meeting_id}/edit",
        data={"date": day.isoformat(), "start_time": at, "duration_minutes": "90"},
        **kwargs,
    )


def test_a_moved_meeting_email_names_old_and_new_time_zone_and_room_and_its_uid_is_the_feeds(
    app, client, world, query
):
    circle_id = world.circle(audience="public", book_room=True)
    login(client, "pat@example.org")
    assert client.post(f"/circles/{circle_id}/join").status_code == 302
    personal = personal_feed(client)
    client.post("/logout")
    (first_id, old_start), *_rest = meetings(query, circle_id)
    count = query(lambda: db.session.scalar(sa.select(sa.func.count(OutboxMessage.id))))

    login(client, "lead@example.org")
    new_day = old_start.astimezone(ZoneInfo(TZ)).date() + dt.timedelta(days=1)
    # A forged Host is refused before anything changes or is sent.
    forged = move(client, first_id, new_day, "10:00", headers={"Host": "evil.example"})
    assert forged.status_code == 400
    assert meetings(query, circle_id)[0] == (first_id, old_start)
    assert query(lambda: db.session.scalar(sa.select(sa.func.count(OutboxMessage.id)))) == count
    # The move itself comes under circles.test, not the BASE_URL's host.
    assert move(client, first_id, new_day, "10:00").status_code == 302
    new_start = dict(meetings(query, circle_id))[first_id]
    assert new_start != old_start

    body, attachment = delivered(app, "pat@example.org", "Meeting moved")
    old_words, new_words = zoned(app, old_start), zoned(app, new_start)
    assert old_words.endswith("(Eastern Time)")
    assert new_words.endswith("(Eastern Time)")
    assert f"from {old_words} to {new_words}" in body
    assert "Grant Writing Basics" in body
    assert "Where: Main Library, Lab" in body  # the booking followed the meeting

    uid = f"meeting-{first_id}@circles.example.org"
    emailed = vevents(attachment.get_content())
    assert list(emailed) == [uid]
    circle_feed = vevents(client.get(f"/circles/{circle_id}/calendar.ics").data)
    client.post("/logout")
    mine = vevents(client.get(personal).data)
    for feed in (circle_feed, mine):
        assert uid in feed  # importing the email's file and the feed gives one event
        assert feed[uid].decoded("DTSTART") == emailed[uid].decoded("DTSTART") == new_start
        assert int(feed[uid]["SEQUENCE"]) == int(emailed[uid]["SEQUENCE"])
        assert str(feed[uid]["LOCATION"]) == str(emailed[uid]["LOCATION"]) == "Main Library, Lab"
    assert all(u.endswith("@circles.example.org") for u in [*circle_feed, *mine])


def test_an_unbooked_meeting_is_to_be_confirmed_and_a_cancelled_one_says_when_and_where(
    app, client, world, query
):
    circle_id = world.circle(audience="public")  # Lab is named, never booked
    login(client, "pat@example.org")
    client.post(f"/circles/{circle_id}/join")
    client.post("/logout")
    (first_id, old_start), (second_id, second_start), *_ = meetings(query, circle_id)
    login(client, "lead@example.org")
    new_day = old_start.astimezone(ZoneInfo(TZ)).date() + dt.timedelta(days=1)
    assert move(client, first_id, new_day, "10:00").status_code == 302
    assert client.post(f"/meetings/{second_id}/cancel").status_code == 302

    with smtp_inbox(app) as inbox:
        send_outbox(app)
    bodies = {
        m["Subject"]: m.get_body(("plain",)).get_content()
        for rcpt, m in inbox.messages
        if rcpt == ["pat@example.org"]
    }
    moved = bodies["Meeting moved: Grant Writing Basics"]
    assert "Where: Main Library, room to be confirmed" in moved
    assert "Lab" not in moved
    cancelled = bodies["Meeting cancelled: Grant Writing Basics"]
    assert f"“Grant Writing Basics” on {zoned(app, second_start)} is cancelled" in cancelled
    assert "Where: Main Library" in cancelled
    assert "Lab" not in cancelled
    joined = bodies["You are in “Grant Writing Basics”"]
    assert f"The first meeting is on {zoned(app, old_start)}." in joined
    assert "room to be confirmed" in joined
    assert "Lab" not in joined


def test_confirmation_and_reminder_say_when_and_the_booked_room(app, client, world, query):
    circle_id = world.circle(audience="public", book_room=True)
    login(client, "pat@example.org")
    client.post(f"/circles/{circle_id}/join")
    starts = [s for _id, s in meetings(query, circle_id)]
    body, attachment = delivered(app, "pat@example.org", "You are in")
    assert f"The first meeting is on {zoned(app, starts[0])}." in body
    assert "All 4 meetings (times in Eastern Time):" in body
    for start in starts:
        assert f"- {zoned(app, start, 'datetime')}" in body
    assert body.count("· Lab") == 4
    assert "Where: Main Library" in body
    assert len(vevents(attachment.get_content())) == 4

    from app.participation import services

    with app.app_context():
        now = starts[0] - dt.timedelta(hours=2)
        assert services.send_reminders(now, dt.timedelta(hours=3)) == 1
        db.session.commit()
    body, _attachment = delivered(app, "pat@example.org", "Reminder")
    assert f"meets on {zoned(app, starts[0])}." in body
    assert "Where: Main Library, Lab" in body


def test_a_moved_series_lists_old_and_new_times_in_a_named_zone_with_rooms(
    app, client, world, query
):
    circle_id = world.circle(audience="public", book_room=True)
    login(client, "pat@example.org")
    client.post(f"/circles/{circle_id}/join")
    client.post("/logout")
    before = meetings(query, circle_id)
    login(client, "lead@example.org")
    form = {"from_meeting": "", "weekday": "3", "start_time": "17:00", "duration_minutes": "60"}
    form |= {"room_id": str(world.room), "action": "confirm"}
    assert client.post(f"/circles/{circle_id}/series", data=form).status_code == 302
    after = dict(meetings(query, circle_id))

    body, attachment = delivered(app, "pat@example.org", "New times")
    assert "Times in Eastern Time." in body
    for mid, old in before:
        line = f"- {zoned(app, old, 'datetime')} → {zoned(app, after[mid], 'datetime')} (Lab)"
        assert line in body
    assert "Where: Main Library" in body
    feed = vevents(client.get(f"/circles/{circle_id}/calendar.ics").data)
    emailed = vevents(attachment.get_content())
    assert (
        sorted(emailed)
        == sorted(feed)
        == sorted(f"meeting-{mid}@circles.example.org" for mid, _s in before)
    )


class Cells(HTMLParser):
    """The text of each ``<td>`` of each ``<tbody>`` row, and of the "Where" fact."""

    def __init__(self):
        super().__init__()
        self.rows: list[list[str]] = []
        self.facts: dict[str, str] = {}
        self._in_body = self._in_cell = False
        self._tag = self._term = ""
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "tbody":
            self._in_body = True
        elif tag == "tr" and self._in_body:
            self.rows.append([])
        elif (tag == "td" and self._in_body) or tag in ("dt", "dd"):
            self._tag, self._text = tag, []

    def handle_endtag(self, tag):
        if tag == "tbody":
            self._in_body = False
        elif tag == self._tag:
            text = " ".join("".join(self._text).split())
            if tag == "td":
                self.rows[-1].append(text)
            elif tag == "dt":
                self._term = text
            else:
                self.facts[self._term] = text
            self._tag = ""

    def handle_data(self, data):
        if self._tag:
            self._text.append(data)


def page_and_feed_rooms(client, circle_id: int) -> tuple[list[str], list[str], str]:
    """The Room column of the public page, the room in each feed LOCATION (both in order of
    time), and the page's "Where"."""
    cells = Cells()
    cells.feed(client.get(f"/circles/{circle_id}").text)
    page = [row[3] for row in cells.rows]
    events = sorted(
        vevents(client.get(f"/circles/{circle_id}/calendar.ics").data).values(),
        key=lambda e: e.decoded("DTSTART"),
    )
    feed = [str(e["LOCATION"]).removeprefix("Main Library").removeprefix(", ") for e in events]
    return page, feed, cells.facts["Where"]


def test_the_circle_page_and_the_feed_agree_on_the_room(app, client, world, factory, query):
    circle_id = world.circle(audience="public")  # Lab is the circle's room, not booked
    page, feed, where = page_and_feed_rooms(client, circle_id)
    assert page == ["not booked"] * 4
    assert feed == [""] * 4
    assert "Lab" not in where

    ids = [i for i, _s in meetings(query, circle_id)]
    book(app, ids[1], factory.room(world.branch, "Reading Room", capacity=12), world.lead)
    page, feed, where = page_and_feed_rooms(client, circle_id)
    assert page == ["not booked", "Reading Room", "not booked", "not booked"]
    assert feed == ["", "Reading Room", "", ""]
    assert where.startswith("Main Library, Reading Room")
    assert "Lab" not in where
