"""Circles: the creation flow, rules, meetings, facilitators, public pages, permissions."""

from __future__ import annotations

import datetime as dt
import html
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from app.circles import listing, services
from app.extensions import db
from app.models import (
    AuditEvent,
    Circle,
    Closure,
    Course,
    Facilitation,
    Meeting,
    OutboxMessage,
    User,
)
from app.timeutil import utcnow
from tests.conftest import login
from tests.factories import enroll, next_weekday, wizard_data

NY = ZoneInfo("America/New_York")


def count(query, model) -> int:
    return query(lambda: db.session.scalar(sa.select(sa.func.count()).select_from(model)))


# --- the creation flow -------------------------------------------------------------------------


def test_creation_flow_step_by_step(client, world, query):
    login(client, "lead@example.org")
    page = client.get(f"/circles/new?course_id={world.course}").text
    assert 'aria-current="step"' in page
    assert (
        f'<option selected value="{world.course}">' in page
        or f'value="{world.course}" selected' in page
    )

    page = client.post("/circles/new", data={"course_id": world.course, "goto": "when"}).text
    assert "Weekly schedule" in page
    assert f'name="course_id" value="{world.course}"' in page  # carried along

    data = wizard_data(world)
    page = client.post("/circles/new", data=data | {"goto": "review"}).text
    assert "6 meetings" in page
    assert "Create circle" in page
    assert count(query, Circle) == 0  # nothing stored before the confirmation

    response = client.post("/circles/new", data=data | {"action": "create", "publish": "y"})
    assert response.status_code == 302
    circle = query(lambda: db.session.scalars(sa.select(Circle)).one())
    assert (circle.title, circle.status, circle.audience, circle.timezone) == (
        "Grant writing circle",
        "published",
        "public",
        "America/New_York",  # the branch's zone by default
    )
    meetings = query(
        lambda: list(db.session.scalars(sa.select(Meeting).order_by(Meeting.starts_at)))
    )
    assert len(meetings) == 6
    assert {m.starts_at.astimezone(NY).time() for m in meetings} == {dt.time(18)}
    assert all(m.ends_at - m.starts_at == dt.timedelta(minutes=90) for m in meetings)
    lead = query(lambda: db.session.scalars(sa.select(Facilitation)).one())
    assert (lead.user_id, lead.role) == (world.lead, "lead")


def test_creation_without_publish_is_a_draft(client, world, query):
    login(client, "lead@example.org")
    client.post("/circles/new", data=wizard_data(world, title="") | {"action": "create"})
    circle = query(lambda: db.session.scalars(sa.select(Circle)).one())
    assert circle.status == "draft"
    assert circle.title == "Grant Writing Basics"  # defaults to the course title


def test_review_shows_closure_moves(client, world, app, query):
    first = next_weekday(1)
    with app.app_context():
        db.session.add(
            Closure(branch_id=world.branch, date=first + dt.timedelta(days=7), reason="Staff day")
        )
        db.session.commit()
    login(client, "lead@example.org")
    page = client.post(
        "/circles/new", data=wizard_data(world, meeting_count="3") | {"goto": "review"}
    ).text
    assert "moved from" in page
    assert "Staff day" in page
    page = client.post(
        "/circles/new",
        data=wizard_data(world, meeting_count="3", closure_policy="skip") | {"goto": "review"},
    ).text
    assert "Skipped because the branch is closed" in page


@pytest.mark.parametrize(
    ("overrides", "step_heading", "message"),
    [
        ({"course_id": ""}, "Course", "Choose a course."),
        (
            {"first_date": "2020-01-07"},
            "Where and when",
            "The first meeting must be in the future.",
        ),
        ({"first_date": ""}, "Where and when", "Enter the date of the first meeting."),
        ({"weekdays": None}, "Where and when", "Choose at least one weekday."),
        ({"meeting_count": "53"}, "Where and when", "Between 1 and 52 meetings."),
        (
            {"duration_minutes": "0"},
            "Where and when",
            "A meeting lasts between 1 minute and 8 hours.",
        ),
        (
            {"duration_minutes": "-60"},
            "Where and when",
            "A meeting lasts between 1 minute and 8 hours.",
        ),
        ({"timezone": "Mars/Base"}, "Where and when", "Not a valid choice"),
        ({"format": "virtual", "join_url": ""}, "Where and when", "need a join link"),
        (
            {"format": "virtual", "join_url": "javascript:alert(1)"},
            "Where and when",
            "starting with https://",
        ),
        ({"explicit_dates": "2027-02-30"}, "Where and when", "is not a date"),
        ({"title": "x" * 201}, "Details", "Field cannot be longer than 200 characters."),
        ({"capacity": "0"}, "Details", "Between 1 and 500 seats."),
        ({"capacity": "1000000000"}, "Details", "Between 1 and 500 seats."),
        ({"capacity": "25"}, "Details", "Lab seats 20."),
        ({"room_id": "999999"}, "Where and when", "Not a valid choice"),
    ],
)
def test_bad_input_is_shown_on_its_step_and_saves_nothing(
    client, world, query, overrides, step_heading, message
):
    login(client, "lead@example.org")
    response = client.post(
        "/circles/new", data=wizard_data(world, **overrides) | {"action": "create", "publish": "y"}
    )
    assert response.status_code == 200
    assert f"<h2>{step_heading}</h2>" in response.text
    assert message in response.text
    assert count(query, Circle) == 0
    assert count(query, Meeting) == 0


def test_retired_course_cannot_start_a_circle(client, world, app, query):
    with app.app_context():
        db.session.get(Course, world.course).retired_at = utcnow()
        db.session.commit()
    login(client, "lead@example.org")
    response = client.post("/circles/new", data=wizard_data(world) | {"action": "create"})
    assert "Choose a course from the catalogue." in response.text
    assert count(query, Circle) == 0


def test_room_of_another_branch_is_refused(client, world, factory, query):
    foreign_room = factory.room(world.other_branch, "Elsewhere")
    login(client, "lead@example.org")
    response = client.post(
        "/circles/new", data=wizard_data(world, room_id=str(foreign_room)) | {"action": "create"}
    )
    assert "Choose a room of this branch." in response.text
    assert count(query, Circle) == 0


@pytest.mark.parametrize("email", ["pat@example.org", "boss@example.org"])
def test_only_facilitators_and_admins_create_circles(client, world, email):
    login(client, email)
    assert client.get("/circles/new").status_code == 403
    assert (
        client.post("/circles/new", data=wizard_data(world) | {"action": "create"}).status_code
        == 403
    )


def test_creation_refuses_a_clash_with_the_leads_other_circle(client, world, query):
    existing = world.circle()
    login(client, "lead@example.org")
    data = wizard_data(world, start_time="18:30", title="Second")
    page = client.post("/circles/new", data=data | {"goto": "review"}).text
    assert "You already facilitate another circle" in page
    assert "Create circle" not in page
    response = client.post("/circles/new", data=data | {"action": "create"})
    assert "already facilitates" in response.text
    assert query(lambda: list(db.session.scalars(sa.select(Circle.id)))) == [existing]


# --- meetings ----------------------------------------------------------------------------------


def _meetings(query, circle_id):
    return query(
        lambda: list(
            db.session.scalars(
                sa.select(Meeting).where(Meeting.circle_id == circle_id).order_by(Meeting.starts_at)
            )
        )
    )


def test_reschedule_bumps_sequence_and_keeps_the_uid(client, world, query):
    circle_id = world.circle()
    before = _meetings(query, circle_id)[1]
    login(client, "lead@example.org")
    new_day = before.starts_at.astimezone(NY).date() + dt.timedelta(days=1)
    response = client.post(
        f"/meetings/{before.id}/edit",
        data={"date": new_day.isoformat(), "start_time": "17:00", "duration_minutes": "60"},
    )
    assert response.status_code == 302
    after = query(lambda: db.session.get(Meeting, before.id))
    assert after.starts_at.astimezone(NY) == dt.datetime.combine(new_day, dt.time(17), tzinfo=NY)
    assert after.ends_at - after.starts_at == dt.timedelta(hours=1)
    assert after.sequence == before.sequence + 1
    assert after.updated_at > before.updated_at


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("past", "Choose a time in the future."),
        ("closure", "is closed that day (Holiday)"),
        ("sunday", "is closed that day (no opening hours on Sundays)"),
        ("overlap", "The circle already meets at that time."),
        ("long", "A meeting lasts between 1 minute and 8 hours."),
    ],
)
def test_bad_reschedules_change_nothing(client, world, app, query, change, message):
    circle_id = world.circle()
    first, second = _meetings(query, circle_id)[:2]
    day = first.starts_at.astimezone(NY).date()
    data = {
        "date": (day + dt.timedelta(days=1)).isoformat(),
        "start_time": "18:00",
        "duration_minutes": "90",
    }
    if change == "past":
        data["date"] = "2020-01-01"
    elif change == "closure":
        with app.app_context():
            db.session.add(
                Closure(branch_id=world.branch, date=day + dt.timedelta(days=1), reason="Holiday")
            )
            db.session.commit()
    elif change == "sunday":
        data["date"] = (day + dt.timedelta(days=(6 - day.weekday()) % 7)).isoformat()
    elif change == "overlap":
        data["date"] = second.starts_at.astimezone(NY).date().isoformat()
    elif change == "long":
        data["duration_minutes"] = "600"
    login(client, "lead@example.org")
    response = client.post(f"/meetings/{first.id}/edit", data=data)
    assert response.status_code == 200
    assert message in response.text
    after = query(lambda: db.session.get(Meeting, first.id))
    assert (after.starts_at, after.sequence) == (first.starts_at, first.sequence)


def test_cancel_and_add_meetings(client, world, query):
    circle_id = world.circle()
    meeting = _meetings(query, circle_id)[0]
    login(client, "lead@example.org")
    assert "Cancel the meeting of" in client.get(f"/meetings/{meeting.id}/cancel").text
    assert query(lambda: db.session.get(Meeting, meeting.id).status) == "scheduled"
    client.post(f"/meetings/{meeting.id}/cancel")
    cancelled = query(lambda: db.session.get(Meeting, meeting.id))
    assert (cancelled.status, cancelled.sequence) == ("cancelled", meeting.sequence + 1)
    page = client.post(f"/meetings/{meeting.id}/cancel", follow_redirects=True).text
    assert "already cancelled" in page
    assert query(lambda: db.session.get(Meeting, meeting.id).sequence) == meeting.sequence + 1

    last_day = _meetings(query, circle_id)[-1].starts_at.astimezone(NY).date()
    response = client.post(
        f"/circles/{circle_id}/meetings/new",
        data={
            "date": (last_day + dt.timedelta(days=7)).isoformat(),
            "start_time": "18:00",
            "duration_minutes": "90",
        },
    )
    assert response.status_code == 302
    assert len(_meetings(query, circle_id)) == 5


def test_cancel_circle_cancels_future_meetings(client, world, query):
    circle_id = world.circle()
    login(client, "lead@example.org")
    assert "This cannot be undone" in client.get(f"/circles/{circle_id}/cancel").text
    assert query(lambda: db.session.get(Circle, circle_id).status) == "published"
    client.post(f"/circles/{circle_id}/cancel")
    assert query(lambda: db.session.get(Circle, circle_id).status) == "cancelled"
    meetings = _meetings(query, circle_id)
    assert {(m.status, m.sequence) for m in meetings} == {("cancelled", 1)}
    # A cancelled circle can no longer change.
    page = client.post(f"/circles/{circle_id}/cancel", follow_redirects=True).text
    assert "can no longer change" in page


def test_publish_and_complete(client, world, app, query):
    circle_id = world.circle(publish=False)
    login(client, "lead@example.org")
    client.post(f"/circles/{circle_id}/complete")
    assert query(lambda: db.session.get(Circle, circle_id).status) == "draft"
    client.post(f"/circles/{circle_id}/publish")
    assert query(lambda: db.session.get(Circle, circle_id).status) == "published"
    page = client.post(f"/circles/{circle_id}/complete", follow_redirects=True).text
    assert "after its last meeting has started" in page
    with app.app_context():  # time passes: every meeting is over
        for i, m in enumerate(db.session.scalars(sa.select(Meeting).order_by(Meeting.starts_at))):
            m.starts_at = utcnow() - dt.timedelta(days=30 - i)
            m.ends_at = m.starts_at + dt.timedelta(hours=1)
        db.session.commit()
        assert db.session.get(Circle, circle_id).state(utcnow()) == "in_progress"
    client.post(f"/circles/{circle_id}/complete")
    assert query(lambda: db.session.get(Circle, circle_id).status) == "completed"


# --- a facilitator busy elsewhere when a meeting is added or moved ----------------------------

# Lena Lead leads the circle and Cole Co co-leads it (Tuesdays at 18:00); "Clashing circle",
# another circle, meets on Thursdays at 18:00 for 90 minutes, run by one of them. A branch
# manager has no override here (unlike assigning a facilitator): an override sent is ignored.
BUSY = [("lead", "Lena Lead"), ("co", "Cole Co")]
EDITORS = [("lead@example.org", {}), ("boss@example.org", {"override": "y"})]


def _busy_elsewhere(app, world, busy: str) -> tuple[int, dt.date]:
    """The circle, with Pat enrolled; returns it and the first Thursday of the other circle."""
    circle_id = world.circle()
    with app.app_context():
        db.session.add(Facilitation(circle_id=circle_id, user_id=world.co, role="co"))
        db.session.commit()
    enroll(app, circle_id, "Pat", "pat@example.org")
    thursday = next_weekday(3)
    world.circle(
        lead=world.lead if busy == "lead" else world.co,
        course_id=world.spanish,
        title="Clashing circle",
        first_date=thursday,
        weekdays=[3],
    )
    return circle_id, thursday


def _clash_named(name: str, thursday: dt.date) -> str:
    day = f"{thursday:%a, %b} {thursday.day}, {thursday.year}"  # as `when` writes it in English
    return f"{name} already facilitates “Clashing circle” at {day}, 6:00 PM."


def _saved(query) -> tuple[list[tuple], int]:
    """Every meeting as stored, and the number of emails queued."""
    meetings = query(
        lambda: [
            (m.id, m.circle_id, m.starts_at, m.ends_at, m.status, m.sequence)
            for m in db.session.scalars(sa.select(Meeting).order_by(Meeting.id))
        ]
    )
    return meetings, count(query, OutboxMessage)


@pytest.mark.parametrize(("busy", "name"), BUSY, ids=["lead-busy", "co-busy"])
@pytest.mark.parametrize(("email", "extra"), EDITORS, ids=["by-lead", "by-manager"])
def test_adding_a_meeting_when_a_facilitator_is_busy_is_refused(
    client, world, app, query, busy, name, email, extra
):
    circle_id, thursday = _busy_elsewhere(app, world, busy)
    before = _saved(query)
    login(client, email)
    url = f"/circles/{circle_id}/meetings/new"
    data = {"date": thursday.isoformat(), "start_time": "18:30", "duration_minutes": "60"}
    response = client.post(url, data=data | extra)
    assert response.status_code == 200
    assert _clash_named(name, thursday) in html.unescape(response.text)
    assert _saved(query) == before

    # After the other meeting has ended, the same day is free.
    response = client.post(url, data=data | {"start_time": "20:00"})
    assert response.status_code == 302
    assert len(_meetings(query, circle_id)) == 5


@pytest.mark.parametrize(("busy", "name"), BUSY, ids=["lead-busy", "co-busy"])
@pytest.mark.parametrize(("email", "extra"), EDITORS, ids=["by-lead", "by-manager"])
def test_moving_a_meeting_when_a_facilitator_is_busy_is_refused(
    client, world, app, query, busy, name, email, extra
):
    circle_id, thursday = _busy_elsewhere(app, world, busy)
    meeting = _meetings(query, circle_id)[0]
    before = _saved(query)
    login(client, email)
    url = f"/meetings/{meeting.id}/edit"
    data = {"date": thursday.isoformat(), "start_time": "18:30", "duration_minutes": "60"}
    response = client.post(url, data=data | extra)
    assert response.status_code == 200
    assert _clash_named(name, thursday) in html.unescape(response.text)
    assert _saved(query) == before  # not moved, no new sequence, nobody told

    # After the other meeting has ended, the same day is free.
    assert client.post(url, data=data | {"start_time": "20:00"}).status_code == 302
    moved = query(lambda: db.session.get(Meeting, meeting.id))
    assert moved.starts_at.astimezone(NY) == dt.datetime.combine(thursday, dt.time(20), tzinfo=NY)
    assert moved.sequence == meeting.sequence + 1


# --- facilitators ------------------------------------------------------------------------------


def test_manager_assigns_co_facilitator(client, world, query):
    circle_id = world.circle()
    login(client, "boss@example.org")
    response = client.post(
        f"/circles/{circle_id}/facilitators", data={"which": "assign", "assign-user_id": world.co}
    )
    assert response.status_code == 302
    roles = query(lambda: {f.user_id: f.role for f in db.session.scalars(sa.select(Facilitation))})
    assert roles == {world.lead: "lead", world.co: "co"}
    assert "Cole Co" in client.get(f"/circles/{circle_id}").text


def test_clash_is_refused_with_the_clash_named_unless_overridden(client, world, query):
    target = world.circle()
    world.circle(
        lead=world.co, start_time=dt.time(18, 45), course_id=world.spanish, title="Clashing circle"
    )
    login(client, "boss@example.org")
    response = client.post(
        f"/circles/{target}/facilitators", data={"which": "assign", "assign-user_id": world.co}
    )
    assert response.status_code == 200
    assert "Cole Co already facilitates “Clashing circle” at" in response.text
    assert "6:45 PM" in response.text
    assert (
        query(lambda: db.session.scalar(sa.select(sa.func.count()).select_from(Facilitation))) == 2
    )

    client.post(
        f"/circles/{target}/facilitators",
        data={"which": "assign", "assign-user_id": world.co, "assign-override": "y"},
    )
    roles = query(
        lambda: {
            f.user_id: f.role
            for f in db.session.scalars(sa.select(Facilitation).filter_by(circle_id=target))
        }
    )
    assert roles == {world.lead: "lead", world.co: "co"}
    events = query(
        lambda: [
            (e.action, e.actor_id)
            for e in db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id))
        ]
    )
    assert events == [
        ("facilitator.clash_override", world.manager),
        ("facilitator.assign", world.manager),
    ]


def test_non_facilitator_cannot_be_assigned(client, world, query):
    circle_id = world.circle()
    login(client, "boss@example.org")
    response = client.post(
        f"/circles/{circle_id}/facilitators",
        data={"which": "assign", "assign-user_id": world.participant},
    )
    assert response.status_code == 200
    assert "Not a valid choice" in response.text
    assert count(query, Facilitation) == 1


def test_lead_hands_over_and_one_lead_is_enforced_by_the_database(client, world, app, query):
    circle_id = world.circle()
    with app.app_context():
        db.session.add(Facilitation(circle_id=circle_id, user_id=world.co, role="co"))
        db.session.commit()
    login(client, "lead@example.org")
    response = client.post(
        f"/circles/{circle_id}/facilitators", data={"which": "hand", "hand-user_id": world.co}
    )
    assert response.status_code == 302
    roles = query(lambda: {f.user_id: f.role for f in db.session.scalars(sa.select(Facilitation))})
    assert roles == {world.lead: "co", world.co: "lead"}
    with app.app_context():
        db.session.get(Facilitation, (circle_id, world.lead)).role = "lead"
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()


def test_co_facilitator_may_edit_but_not_assign(client, world, app):
    circle_id = world.circle()
    with app.app_context():
        db.session.add(Facilitation(circle_id=circle_id, user_id=world.co, role="co"))
        db.session.commit()
    login(client, "co@example.org")
    assert client.get(f"/circles/{circle_id}/edit").status_code == 200
    assert client.get(f"/circles/{circle_id}/facilitators").status_code == 403


def test_remove_co_facilitator_but_never_the_lead(client, world, app, query):
    circle_id = world.circle()
    with app.app_context():
        db.session.add(Facilitation(circle_id=circle_id, user_id=world.co, role="co"))
        db.session.commit()
    login(client, "boss@example.org")
    page = client.post(
        f"/circles/{circle_id}/facilitators/{world.lead}/remove", follow_redirects=True
    ).text
    assert "Hand the circle to someone else" in page
    client.post(f"/circles/{circle_id}/facilitators/{world.co}/remove")
    assert query(lambda: [f.user_id for f in db.session.scalars(sa.select(Facilitation))]) == [
        world.lead
    ]


# --- who may do what ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("email", "expected"),
    [
        ("lead@example.org", 200),
        ("boss@example.org", 200),
        ("admin@example.org", 200),
        ("co@example.org", 403),  # a facilitator, but not of this circle
        ("far@example.org", 403),  # manager of another branch
        ("pat@example.org", 403),
    ],
)
def test_who_may_edit_a_published_circle(client, world, email, expected):
    circle_id = world.circle()
    login(client, email)
    assert client.get(f"/circles/{circle_id}/edit").status_code == expected


@pytest.mark.parametrize("email", ["co@example.org", "far@example.org", "pat@example.org"])
def test_outsiders_cannot_change_meetings(client, world, query, email):
    circle_id = world.circle()
    meeting = _meetings(query, circle_id)[0]
    login(client, email)
    for path in (
        f"/meetings/{meeting.id}/edit",
        f"/meetings/{meeting.id}/cancel",
        f"/circles/{circle_id}/cancel",
    ):
        assert (
            client.post(
                path, data={"date": "2030-01-01", "start_time": "10:00", "duration_minutes": "60"}
            ).status_code
            == 403
        )
    assert query(lambda: db.session.get(Meeting, meeting.id).sequence) == 0
    assert query(lambda: db.session.get(Circle, circle_id).status) == "published"


def test_drafts_are_hidden_from_everyone_but_their_editors(client, world):
    circle_id = world.circle(publish=False, audience="public")
    # Signed out: asked to sign in (its editor may follow the link); signed in: as if missing.
    response = client.get(f"/circles/{circle_id}")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/login?next=%2Fcircles%2F{circle_id}"
    login(client, "pat@example.org")
    assert client.get(f"/circles/{circle_id}").status_code == 404
    assert client.get(f"/circles/{circle_id}/edit").status_code == 404
    client.post("/logout")
    login(client, "boss@example.org")
    assert client.get(f"/circles/{circle_id}").status_code == 200


def test_staff_circles_need_sign_in(client, world):
    staff = world.circle(audience="staff", title="Staff only")
    public = world.circle(audience="public", title="Open to all", start_time=dt.time(10))
    assert client.get(f"/circles/{staff}").headers["Location"].startswith("/login?next=")
    assert client.get(f"/circles/{public}").status_code == 200
    listing = client.get("/circles/").text
    assert "Open to all" in listing
    assert "Staff only" not in listing
    login(client, "pat@example.org")
    assert "Staff only" in client.get("/circles/").text


# --- public pages ------------------------------------------------------------------------------


def test_circle_page_shows_times_in_the_viewers_zone(client, world, app):
    circle_id = world.circle(audience="public")
    with app.app_context():
        db.session.get(User, world.participant).timezone = "America/Chicago"
        db.session.commit()
    page = client.get(f"/circles/{circle_id}").text
    assert "6:00 PM" in page
    assert "Times in Eastern Time." in page
    login(client, "pat@example.org")
    page = client.get(f"/circles/{circle_id}").text
    assert "5:00 PM" in page
    assert "Times in Central Time." in page
    assert "Grant Writing Basics" in page
    assert "10 of 10 left" in page


def test_list_filters(client, world, app):
    tuesday = world.circle(audience="public", title="Tuesday grants")
    world.circle(
        audience="public",
        title="Saturday Spanish",
        course_id=world.spanish,
        first_date=next_weekday(5),
        weekdays=[5],
        start_time=dt.time(10),
        format="virtual",
        join_url="https://meet.example.org/x",
        room_id=None,
    )
    with app.app_context():
        db.session.get(Circle, tuesday).enrolled_count = 10  # full
        db.session.commit()

    def titles(**params):
        page = client.get("/circles/", query_string=params).text
        return {t for t in ("Tuesday grants", "Saturday Spanish") if t in page}

    assert titles() == {"Tuesday grants", "Saturday Spanish"}
    assert titles(weekday=1) == {"Tuesday grants"}
    assert titles(weekday=5) == {"Saturday Spanish"}
    assert titles(weekday=3) == set()
    assert titles(skill_area="grant_writing") == {"Tuesday grants"}
    assert titles(language="es") == {"Saturday Spanish"}
    assert titles(format="virtual") == {"Saturday Spanish"}
    assert titles(open_seats="y") == {"Saturday Spanish"}
    assert titles(branch=world.other_branch) == set()
    assert titles(q="SPANISH") == {"Saturday Spanish"}
    assert "No circle matches these filters." in client.get("/circles/?weekday=3").text


def test_cancelled_and_finished_circles_leave_the_list(client, world, app):
    circle_id = world.circle(audience="public", title="Soon gone")
    assert "Soon gone" in client.get("/circles/").text
    with app.app_context():
        services.cancel_circle(db.session.get(Circle, circle_id))
        db.session.commit()
    assert "Soon gone" not in client.get("/circles/").text


def test_edit_circle_and_room_change_bumps_future_meetings(client, world, query):
    circle_id = world.circle()
    login(client, "lead@example.org")
    data = {
        "course_id": world.course,
        "room_id": world.small_room,
        "format": "in_person",
        "title": "Renamed",
        "capacity": "4",
        "audience": "staff",
    }
    response = client.post(f"/circles/{circle_id}/edit", data=data)
    assert response.status_code == 302
    circle = query(lambda: db.session.get(Circle, circle_id))
    assert (circle.title, circle.room_id, circle.capacity) == ("Renamed", world.small_room, 4)
    assert {m.sequence for m in _meetings(query, circle_id)} == {1}

    response = client.post(f"/circles/{circle_id}/edit", data=data | {"capacity": "5"})
    assert "Study seats 4." in response.text
    assert query(lambda: db.session.get(Circle, circle_id).capacity) == 4


def test_dashboard(client, world):
    world.circle(title="First circle")
    login(client, "lead@example.org")
    page = client.get("/facilitate/").text
    assert "First circle" in page
    assert "Next meetings" in page
    months = [
        (dt.date.today().replace(day=1) + dt.timedelta(days=32 * i)).strftime("%b %Y")
        for i in range(3)
    ]
    assert any(f'<th scope="col">{month}</th>' in page for month in months)  # "Dec 2026"
    client.post("/logout")
    login(client, "pat@example.org")
    assert client.get("/facilitate/").status_code == 403


def test_workload_counts_meetings_per_month(world, app):
    world.circle(meeting_count=4)
    with app.app_context():
        user = db.session.get(User, world.lead)
        load = dict(listing.workload(user, utcnow()))
        meetings = db.session.scalars(sa.select(Meeting.starts_at)).all()
        expected: dict[str, int] = {}
        for starts in meetings:
            key = starts.astimezone(ZoneInfo(user.timezone)).strftime("%Y-%m")
            expected[key] = expected.get(key, 0) + 1
    assert {k: v for k, v in load.items() if v} == expected
    assert sum(load.values()) == 4
