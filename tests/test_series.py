"""Moving a circle's series and copying a circle for the next cohort (issue 13): the move is
reviewed like creation (closures, hours, facilitators' clashes, the room's other bookings),
happens in one transaction, bumps every moved meeting's SEQUENCE, has the bookings follow
and tells each person enrolled once; a copy opens the wizard pre-filled and creates."""

from __future__ import annotations

import datetime as dt
import html
import re
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from app.circles import facilitators
from app.extensions import db
from app.labels import when
from app.models import Booking, BookingStatus, Circle, Closure, Meeting, Room, User
from app.rooms import bookings as booking_rules
from tests.conftest import login
from tests.factories import enroll, next_weekday, wizard_data
from tests.mail import outbox_messages, send_outbox

NY = ZoneInfo("America/New_York")
THURSDAY = 3


def _meetings(query, circle_id):
    return query(
        lambda: [
            (
                m.id,
                m.starts_at.astimezone(NY),
                m.ends_at.astimezone(NY),
                m.sequence,
                (m.booking.room_id, m.booking.starts_at) if m.booking else None,
            )
            for m in db.session.scalars(
                sa.select(Meeting).where(Meeting.circle_id == circle_id).order_by(Meeting.starts_at)
            )
        ]
    )


def _form(world, **overrides) -> dict:
    data = {
        "from_meeting": "",
        "weekday": str(THURSDAY),
        "start_time": "17:00",
        "duration_minutes": "60",
        "room_id": str(world.room),
    }
    data.update(overrides)
    return data


def test_moving_every_meeting_to_thursday_reviews_then_moves_bookings_and_tells_once(
    client, world, app, query, inbox
):
    circle_id = world.circle(book_room=True, audience="public")
    enroll(app, circle_id, "Ann Guest", "ann@example.org")
    enroll(app, circle_id, "Pat", "pat@example.org")
    before = _meetings(query, circle_id)
    login(client, "lead@example.org")

    page = client.get(f"/circles/{circle_id}/series")
    assert page.status_code == 200
    assert 'value="18:00"' in page.text

    review = client.post(f"/circles/{circle_id}/series", data=_form(world, action="review"))
    assert review.status_code == 200
    text = html.unescape(review.text)
    assert "4 meetings move" in text
    assert "Lab will be booked for every meeting." in text
    assert _meetings(query, circle_id) == before  # the review stores nothing

    done = client.post(f"/circles/{circle_id}/series", data=_form(world, action="confirm"))
    assert done.status_code == 302
    after = _meetings(query, circle_id)
    for (mid, old_start, _e, seq, _b), (mid2, start, end, seq2, booking) in zip(
        before, after, strict=True
    ):
        assert mid == mid2
        assert start.weekday() == THURSDAY
        assert start.time() == dt.time(17)
        assert start.date() - old_start.date() == dt.timedelta(days=2)  # the same week
        assert end - start == dt.timedelta(hours=1)
        assert seq2 > seq
        assert booking == (world.room, start)  # the booking followed
    assert query(lambda: db.session.get(Circle, circle_id).weekday_mask) == 1 << THURSDAY

    messages = [m for m in outbox_messages(app) if m.subject.startswith("New times")]
    assert sorted(m.to for m in messages) == ["ann@example.org", "pat@example.org"]
    body = next(m.body for m in messages if m.to == "ann@example.org")
    assert body.count("→") == 4
    with app.test_request_context():  # a guest reads the default language, the circle's zone
        old_new = [
            f"{when(b[1], NY.key)} → {when(a[1], NY.key)} (Lab)"
            for b, a in zip(before, after, strict=True)
        ]
    for line in old_new:
        assert line in body
    send_outbox(app)
    assert any("New times" in str(m["Subject"]) for _to, m in inbox.messages)


def test_moving_from_one_meeting_on_leaves_the_earlier_ones(client, world, query):
    circle_id = world.circle(book_room=True)
    before = _meetings(query, circle_id)
    login(client, "lead@example.org")
    response = client.post(
        f"/circles/{circle_id}/series",
        data=_form(world, from_meeting=str(before[2][0]), weekday="", action="confirm"),
    )
    assert response.status_code == 302
    after = _meetings(query, circle_id)
    assert after[:2] == before[:2]
    for (_m, old, _e, seq, _b), (_m2, start, _e2, seq2, booking) in zip(
        before[2:], after[2:], strict=True
    ):
        assert start.date() == old.date()
        assert start.time() == dt.time(17)
        assert seq2 > seq
        assert booking == (world.room, start)


def test_a_facilitator_clash_is_listed_and_refused(client, world, query):
    circle_id = world.circle()
    world.circle(
        lead=world.co, first_date=next_weekday(THURSDAY), weekdays=[THURSDAY], room_id=None
    )

    def add_co():
        facilitators.assign_facilitator(
            db.session.get(Circle, circle_id),
            db.session.get(User, world.co),
            actor=db.session.get(User, world.manager),
        )
        db.session.commit()

    query(add_co)
    before = _meetings(query, circle_id)
    login(client, "boss@example.org")  # the branch's manager may move it too
    review = client.post(
        f"/circles/{circle_id}/series", data=_form(world, start_time="18:00", action="review")
    )
    text = html.unescape(review.text)
    assert "A facilitator already leads another circle at these times" in text
    assert 'value="confirm"' not in text
    refused = client.post(
        f"/circles/{circle_id}/series", data=_form(world, start_time="18:00", action="confirm")
    )
    assert refused.status_code == 200  # the form again, with the message beside the time
    assert "Cole Co already facilitates" in html.unescape(refused.text)
    assert _meetings(query, circle_id) == before


def test_a_meeting_whose_room_is_taken_is_listed_and_left_without_a_room(client, world, app, query):
    circle_id = world.circle(book_room=True)
    before = _meetings(query, circle_id)
    second_thursday = before[1][1].date() + dt.timedelta(days=2)
    with app.app_context():
        booking_rules.book(
            db.session.get(Room, world.room),
            dt.datetime.combine(second_thursday, dt.time(16, 30), tzinfo=NY),
            dt.datetime.combine(second_thursday, dt.time(18, 30), tzinfo=NY),
            title="Board meeting",
            by=db.session.get(User, world.manager),
        )
        db.session.commit()
    login(client, "lead@example.org")
    review = client.post(f"/circles/{circle_id}/series", data=_form(world, action="review"))
    text = html.unescape(review.text)
    assert "Lab is not free for these meetings" in text
    assert "Board meeting" in text
    done = client.post(f"/circles/{circle_id}/series", data=_form(world, action="confirm"))
    assert done.status_code == 302
    after = _meetings(query, circle_id)
    assert after[1][4] is None
    assert all(m[4] == (world.room, m[1]) for i, m in enumerate(after) if i != 1)
    cancelled = query(
        lambda: db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Booking)
            .where(Booking.meeting_id == after[1][0], Booking.status == BookingStatus.cancelled)
        )
    )
    assert cancelled == 1


def test_a_closure_moves_a_meeting_to_the_next_open_day(client, world, app, query):
    circle_id = world.circle()
    before = _meetings(query, circle_id)
    closed = before[0][1].date() + dt.timedelta(days=2)
    with app.app_context():
        db.session.add(Closure(branch_id=world.branch, date=closed, reason="Inventory"))
        db.session.commit()
    login(client, "lead@example.org")
    review = client.post(
        f"/circles/{circle_id}/series", data=_form(world, room_id="", action="review")
    )
    assert "Inventory" in html.unescape(review.text)
    client.post(f"/circles/{circle_id}/series", data=_form(world, room_id="", action="confirm"))
    assert _meetings(query, circle_id)[0][1].date() == closed + dt.timedelta(days=1)


def test_outside_opening_hours_is_refused(client, world, query):
    circle_id = world.circle()
    before = _meetings(query, circle_id)
    login(client, "lead@example.org")
    response = client.post(
        f"/circles/{circle_id}/series",
        data=_form(world, start_time="20:30", action="confirm"),
    )
    assert response.status_code == 200
    assert "closing" in html.unescape(response.text).lower()
    assert _meetings(query, circle_id) == before


def test_only_who_may_edit_the_circle_moves_its_series(client, world, query):
    circle_id = world.circle()
    login(client, "pat@example.org")
    assert client.get(f"/circles/{circle_id}/series").status_code == 403
    before = _meetings(query, circle_id)
    response = client.post(f"/circles/{circle_id}/series", data=_form(world, action="confirm"))
    assert response.status_code == 403
    assert _meetings(query, circle_id) == before


# --- copying a circle for the next cohort -----------------------------------------------------


def _with_co(query, world, circle_id):
    def add_co():
        facilitators.assign_facilitator(
            db.session.get(Circle, circle_id),
            db.session.get(User, world.co),
            actor=db.session.get(User, world.manager),
        )
        db.session.commit()

    query(add_co)


def test_copy_opens_the_wizard_filled_in_with_the_next_weeks(client, world, query):
    circle_id = world.circle(
        title="Grants, spring cohort", description="We write one.", capacity=8, audience="public"
    )
    last = _meetings(query, circle_id)[-1][1].date()
    login(client, "lead@example.org")
    assert f"/circles/new?copy_of={circle_id}" in client.get(f"/circles/{circle_id}").text
    page = client.get(f"/circles/new?copy_of={circle_id}")
    assert page.status_code == 200
    text = html.unescape(page.text)
    assert "<h2>Where and when</h2>" in text
    monday = last + dt.timedelta(days=7 - last.weekday())
    for shown in (
        f'name="first_date" type="date" value="{monday.isoformat()}"',
        'name="start_time" required type="time" value="18:00"',
        'name="duration_minutes" required type="number" value="90"',
        'name="meeting_count" type="number" value="4"',
        '<input checked id="weekdays-1"',
        'name="title" value="Grants, spring cohort"',
        'name="description" value="We write one."',
        'name="capacity" value="8"',
        'name="audience" value="public"',
    ):
        assert shown in text
    assert re.search(rf'(selected|checked)[^>]*value="{world.room}"', text)  # Lab


def test_copy_creates_the_next_cohort_with_its_co_facilitators(client, world, query):
    circle_id = world.circle(audience="public")
    _with_co(query, world, circle_id)
    last = _meetings(query, circle_id)[-1][1].date()
    monday = last + dt.timedelta(days=7 - last.weekday())
    login(client, "lead@example.org")
    response = client.post(
        f"/circles/new?copy_of={circle_id}",
        data=wizard_data(world, first_date=monday.isoformat(), meeting_count="4", action="create"),
    )
    assert response.status_code == 302
    new_id = int(response.headers["Location"].rsplit("/", 1)[1])
    assert new_id != circle_id
    roles = query(
        lambda: sorted((f.user_id, f.role) for f in db.session.get(Circle, new_id).facilitations)
    )
    assert roles == sorted([(world.lead, "lead"), (world.co, "co")])
    meetings = _meetings(query, new_id)
    assert len(meetings) == 4
    assert meetings[0][1].date() > last
    assert all(m[4] == (world.room, m[1]) for m in meetings)  # the room is booked


def test_a_busy_co_facilitator_is_named_and_left_off_the_copy(client, world, query):
    circle_id = world.circle(audience="public")
    _with_co(query, world, circle_id)
    last = _meetings(query, circle_id)[-1][1].date()
    monday = last + dt.timedelta(days=7 - last.weekday())
    world.circle(
        lead=world.co, first_date=monday + dt.timedelta(days=1), meeting_count=1, room_id=None
    )
    login(client, "lead@example.org")
    response = client.post(
        f"/circles/new?copy_of={circle_id}",
        data=wizard_data(world, first_date=monday.isoformat(), meeting_count="4", action="create"),
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "Not added as co-facilitator: Cole Co already facilitates" in html.unescape(
        response.text
    )
    newest = query(lambda: db.session.scalar(sa.select(sa.func.max(Circle.id))))
    people = query(lambda: [f.user_id for f in db.session.get(Circle, newest).facilitations])
    assert people == [world.lead]


def test_only_who_may_edit_a_circle_copies_it(client, world):
    circle_id = world.circle()
    login(client, "co@example.org")  # a facilitator, but not of this circle
    assert client.get(f"/circles/new?copy_of={circle_id}").status_code == 403
