"""Where people land: the home page (visitors: public circles and featured courses; signed in:
next meetings and what needs them) and a course's page with the circles running it."""

from __future__ import annotations

import datetime as dt
import html
import re

import sqlalchemy as sa
from sqlalchemy import event

from app.attendance import outcomes as outcome_rules
from app.extensions import db
from app.labels import when
from app.models import AttendanceSheet, Circle, Enrollment, Meeting, User
from app.rooms import circle_bookings
from app.timeutil import utcnow
from tests.conftest import login
from tests.factories import enroll, next_weekday, set_times

NEW_YORK = "America/New_York"


def meeting_ids(query, circle_id: int) -> list[int]:
    return query(
        lambda: list(
            db.session.scalars(
                sa.select(Meeting.id)
                .where(Meeting.circle_id == circle_id)
                .order_by(Meeting.starts_at)
            )
        )
    )


def book_rooms(app, circle_id: int) -> None:
    """Book the circle's room for each of its meetings that has none."""
    with app.app_context():
        circle = db.session.get(Circle, circle_id)
        unbooked = [m for m in circle.meetings if m.booking is None]
        if unbooked:
            lead = next(f.user for f in circle.facilitations if f.is_lead)
            booked, _problems = circle_bookings.book_circle(
                circle, circle.room, unbooked, by=lead, all_or_nothing=True
            )
            assert booked == unbooked
        db.session.commit()


def statements(app, fn) -> tuple[object, list[str]]:
    """What ``fn`` asked the database, statement by statement."""
    seen: list[str] = []

    def record(conn, cursor, statement, *args):
        seen.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        return fn(), seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def first_start(query, circle_id: int) -> dt.datetime:
    return query(
        lambda: db.session.scalar(
            sa.select(sa.func.min(Meeting.starts_at)).where(Meeting.circle_id == circle_id)
        )
    )


def shown(app, instant: dt.datetime, tz: str) -> str:
    """How pages show ``instant`` in ``tz`` (the app's own formatting, in English)."""
    with app.test_request_context():
        return when(instant, tz)


def section(page: str, heading: str) -> str:
    """The text of the page's section under the h2 ``heading`` (up to the next section)."""
    match = re.search(rf">{re.escape(heading)}</h2>(.*?)</section>", page, re.S)
    assert match, f"no section {heading!r}"
    return html.unescape(match.group(1))


# --- visitors ----------------------------------------------------------------------------------


def test_visitors_see_public_circles_and_featured_courses(client, world, app, query):
    open_id = world.circle(audience="public", title="Open grant circle", capacity=5)
    world.circle(audience="staff", title="Staff grant circle", start_time=dt.time(10))
    world.circle(audience="public", title="Draft circle", publish=False, start_time=dt.time(12))
    page = client.get("/").text
    circles = section(page, "Circles open to everyone")
    assert "Open grant circle" in circles
    assert "5 seats left" in circles
    assert f"Next meeting: {shown(app, first_start(query, open_id), NEW_YORK)}" in circles
    assert "In person · Main Library" in circles
    assert "Staff grant circle" not in page
    assert "Draft circle" not in page
    courses = section(page, "Featured courses")
    # The course colleagues run comes first.
    assert courses.index("Grant Writing Basics") < courses.index("Informática básica")
    assert 'href="/login"' in page


def test_visitors_home_without_circles_says_where_to_go(client, world):
    world.circle(audience="staff")
    page = client.get("/").text
    empty = section(page, "Circles open to everyone")
    assert "No public circle is taking sign-ups right now." in empty
    assert 'href="/courses/"' in empty


# --- signed in ---------------------------------------------------------------------------------


def _busy_facilitator(app, world, query) -> dict[str, int]:
    """Lena leads four circles, each with something that needs her:
    - "Held": its first meeting took place with no attendance sheet;
    - "Ended": every meeting took place, Pat is enrolled and nobody is marked completed
      (its sheets are taken);
    - "Reported": Pat reported an outcome that waits for confirmation;
    - "Roomless": in person, no room booked for its meetings.
    """
    held = world.circle(title="Held", audience="public")
    ended = world.circle(title="Ended", start_time=dt.time(10))
    reported = world.circle(title="Reported", start_time=dt.time(12))
    roomless = world.circle(title="Roomless", start_time=dt.time(14), room_id=None)
    for circle_id in (held, ended, reported):
        book_rooms(app, circle_id)
        enroll(app, circle_id, "Pat", "pat@example.org")
    set_times(app, meeting_ids(query, held), past=1)
    ended_meetings = meeting_ids(query, ended)
    set_times(app, ended_meetings, past=4)
    with app.app_context():
        for meeting_id in ended_meetings:
            db.session.add(AttendanceSheet(meeting_id=meeting_id))
        pat = db.session.scalar(sa.select(User).filter_by(email="pat@example.org"))
        place = db.session.scalar(sa.select(Enrollment).filter_by(circle_id=reported))
        outcome_rules.add_outcome(
            db.session.get(Circle, reported),
            outcome_rules.OutcomeInput(
                kind="other",  # a certificate would name one from the admin's list
                title="Course certificate",
                achieved_on=utcnow().date(),
                enrollment_id=place.id,
            ),
            by=pat,
            today=utcnow().date(),
            reported=True,
        )
        db.session.commit()
    return {"held": held, "ended": ended, "reported": reported, "roomless": roomless}


def test_facilitator_home_lists_next_meetings_and_what_needs_them(client, world, app, query):
    circles = _busy_facilitator(app, world, query)
    login(client, "lead@example.org")
    page = client.get("/").text
    assert "Hello, Lena Lead" in page

    todo = section(page, "What needs you")
    held_first = meeting_ids(query, circles["held"])[0]
    assert f'href="/meetings/{held_first}/attendance">Take attendance: Held</a>' in todo
    assert "1 meeting without a sheet, since" in todo
    assert f'href="/circles/{circles["ended"]}/completions">Confirm who completed: Ended' in todo
    assert f'href="/circles/{circles["reported"]}/outcomes">Confirm outcomes: Reported' in todo
    assert "1 reported" in todo
    assert f'href="/circles/{circles["roomless"]}/rooms">Book rooms: Roomless' in todo
    assert "4 meetings without a room, from" in todo
    # Circles whose rooms are booked and whose sheets are taken ask for nothing of that kind.
    assert "Book rooms: Held" not in todo
    assert "Take attendance: Ended" not in todo

    mine = section(page, "Your next meetings")
    assert "Times in " in mine
    assert "You facilitate" in mine
    assert "Main Library, Lab" in mine  # a booked room
    assert "no room booked: book one" in mine  # Roomless
    assert "Ended" not in mine  # all its meetings are over


def test_home_queries_do_not_grow_with_the_number_of_circles(client, world, app, query):
    circles = _busy_facilitator(app, world, query)
    login(client, "lead@example.org")
    client.get("/")  # warm up: the session's user, translations

    _response, few = statements(app, lambda: client.get("/"))
    for n in range(3):
        extra = world.circle(
            title=f"More {n}",
            first_date=next_weekday(2),
            weekdays=[2],
            start_time=dt.time(10 + 2 * n),
            course_id=world.spanish,
        )
        set_times(app, meeting_ids(query, extra)[:1], past=1)
    set_times(app, meeting_ids(query, circles["roomless"])[:1], past=1)
    response, many = statements(app, lambda: client.get("/"))
    assert "Take attendance: More 2" in html.unescape(response.text)
    assert len(many) == len(few)
    assert len(many) <= 15


def test_participant_home_shows_their_meetings_with_the_join_link(client, world, app, query):
    online = world.circle(
        title="Online circle",
        format="virtual",
        room_id=None,
        join_url="https://meet.example.org/grants",
    )
    enroll(app, online, "Pat", "pat@example.org")
    with app.app_context():
        db.session.get(User, world.participant).timezone = "America/Chicago"
        db.session.commit()
    login(client, "pat@example.org")
    page = client.get("/").text
    mine = section(page, "Your next meetings")
    assert "Online circle" in mine
    assert "You take part" in mine
    start = first_start(query, online)
    assert shown(app, start, "America/Chicago") in mine  # in Pat's zone
    assert shown(app, start, NEW_YORK) not in mine
    assert 'href="https://meet.example.org/grants"' in mine
    assert "What needs you" not in page  # nothing to do, and not a facilitator


def test_empty_home_offers_the_next_step(client, world):
    login(client, "lead@example.org")
    page = client.get("/").text
    assert "No meetings coming up." in section(page, "Your next meetings")
    assert 'href="/circles/new"' in page
    assert "Nothing needs you right now." in section(page, "What needs you")


# --- a course's page ---------------------------------------------------------------------------


def test_course_page_lists_the_circles_the_viewer_may_see(client, world):
    world.circle(title="Public grants", audience="public", capacity=3)
    world.circle(
        title="Staff grants",
        start_time=dt.time(10),
        format="virtual",
        room_id=None,
        join_url="https://meet.example.org/x",
    )
    world.circle(title="Draft grants", publish=False, start_time=dt.time(12))
    world.circle(
        title="Other course", course_id=world.spanish, audience="public", start_time=dt.time(14)
    )

    page = client.get(f"/courses/{world.course}").text
    running = section(page, "Circles running this course")
    assert "Public grants" in running
    assert "3 seats left" in running
    assert "In person · Main Library" in running
    assert "Next meeting:" in running
    for hidden in ("Staff grants", "Draft grants", "Other course"):
        assert hidden not in running

    login(client, "pat@example.org")
    running = section(client.get(f"/courses/{world.course}").text, "Circles running this course")
    assert "Staff grants" in running
    assert "Online · Main Library" in running
    assert "Draft grants" not in running


def test_course_page_without_circles_offers_to_start_one(client, world):
    page = client.get(f"/courses/{world.spanish}").text
    empty = section(page, "Circles running this course")
    assert "No circle is running this course right now." in empty
    assert f"/login?next=/courses/{world.spanish}" in empty
    login(client, "lead@example.org")
    empty = section(client.get(f"/courses/{world.spanish}").text, "Circles running this course")
    assert f'href="/circles/new?course_id={world.spanish}"' in empty
