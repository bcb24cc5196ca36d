"""Branches, opening hours, closures and rooms."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Branch, Circle, Closure, OpeningHours, Room
from app.timeutil import local_today
from tests.conftest import login


def _count(query, model) -> int:
    return query(lambda: db.session.scalar(sa.select(sa.func.count()).select_from(model)))


def test_admin_creates_branch_with_slug_from_name(admin, query):
    response = admin.post(
        "/branches/new",
        data={
            "name": "Biblioteca Doral ñ",
            "address": "10785 NW 58th St",
            "timezone": "America/New_York",
        },
    )
    assert response.status_code == 302
    branch = query(lambda: db.session.scalars(sa.select(Branch)).one())
    assert (branch.name, branch.slug, branch.timezone) == (
        "Biblioteca Doral ñ",
        "biblioteca-doral-n",
        "America/New_York",
    )
    assert response.headers["Location"] == f"/branches/{branch.id}/hours"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "", "timezone": "UTC"}, "This field is required."),
        ({"name": "x" * 121, "timezone": "UTC"}, "Field cannot be longer than 120 characters."),
        ({"name": "A", "timezone": "Not/AZone"}, "Not a valid choice."),
        ({"name": "A", "slug": "Bad Slug!", "timezone": "UTC"}, "Use lowercase letters"),
        ({"name": "A", "address": "x" * 301, "timezone": "UTC"}, "cannot be longer than 300"),
    ],
)
def test_branch_bad_input_saves_nothing(admin, query, data, message):
    response = admin.post("/branches/new", data=data)
    assert response.status_code == 200
    assert message in response.text
    assert _count(query, Branch) == 0


def test_duplicate_branch_name_is_refused(admin, factory, query):
    factory.branch("Main Library", slug="main")
    response = admin.post("/branches/new", data={"name": "Main Library", "timezone": "UTC"})
    assert "Another branch already has that name" in response.text
    assert _count(query, Branch) == 1


def test_manager_edits_own_branch(factory, client, query):
    branch_id = factory.branch("Old name")
    factory.user("boss@example.org", manages=[branch_id])
    login(client, "boss@example.org")
    response = client.post(
        f"/branches/{branch_id}/edit",
        data={
            "name": "New name",
            "slug": "new-name",
            "address": "1 Main St",
            "timezone": "America/Chicago",
        },
    )
    assert response.status_code == 302
    branch = query(lambda: db.session.get(Branch, branch_id))
    assert (branch.name, branch.slug, branch.address, branch.timezone) == (
        "New name",
        "new-name",
        "1 Main St",
        "America/Chicago",
    )


def _hours_form(**days):
    data = {}
    for i in range(7):
        opens, closes = days.get(f"d{i}", ("", ""))
        data[f"days-{i}-opens"] = opens
        data[f"days-{i}-closes"] = closes
    return data


def test_set_opening_hours(admin, factory, query):
    branch_id = factory.branch()
    response = admin.post(
        f"/branches/{branch_id}/hours",
        data=_hours_form(d0=("09:30", "18:00"), d5=("10:00", "17:00")),
    )
    assert response.status_code == 302
    rows = query(
        lambda: [
            (h.weekday, h.opens, h.closes)
            for h in db.session.scalars(sa.select(OpeningHours).order_by(OpeningHours.weekday))
        ]
    )
    assert rows == [(0, dt.time(9, 30), dt.time(18)), (5, dt.time(10), dt.time(17))]
    page = admin.get(f"/branches/{branch_id}").text
    assert "9:30 AM–6:00 PM" in page
    # Changing again replaces rather than adds.
    admin.post(f"/branches/{branch_id}/hours", data=_hours_form(d0=("08:00", "12:00")))
    assert _count(query, OpeningHours) == 1


@pytest.mark.parametrize(
    ("day", "message"),
    [
        (("18:00", "09:00"), "Closing time must be after opening time."),
        (("09:00", "09:00"), "Closing time must be after opening time."),
        (("09:00", ""), "Give both times, or neither"),
        (("25:00", "26:00"), "Not a valid time value."),
    ],
)
def test_bad_opening_hours_save_nothing(admin, factory, query, day, message):
    branch_id = factory.branch()
    admin.post(f"/branches/{branch_id}/hours", data=_hours_form(d1=("09:00", "17:00")))
    response = admin.post(
        f"/branches/{branch_id}/hours", data=_hours_form(d1=("10:00", "11:00"), d2=day)
    )
    assert response.status_code == 200
    assert message in response.text
    rows = query(
        lambda: [(h.weekday, h.opens) for h in db.session.scalars(sa.select(OpeningHours))]
    )
    assert rows == [(1, dt.time(9))]


def test_closures_add_and_remove_with_confirmation(admin, factory, query):
    branch_id = factory.branch()
    day = local_today("America/New_York") + dt.timedelta(days=10)
    response = admin.post(
        f"/branches/{branch_id}/closures/new", data={"date": day.isoformat(), "reason": "Staff day"}
    )
    assert response.status_code == 302
    closure_id = query(lambda: db.session.scalars(sa.select(Closure.id)).one())
    assert "Staff day" in admin.get(f"/branches/{branch_id}").text

    response = admin.post(f"/branches/{branch_id}/closures/new", data={"date": day.isoformat()})
    assert "already closed that day" in response.text
    assert _count(query, Closure) == 1

    confirm = admin.get(f"/branches/{branch_id}/closures/{closure_id}/delete")
    assert "Remove the closure on" in confirm.text
    assert _count(query, Closure) == 1  # a GET changes nothing
    admin.post(f"/branches/{branch_id}/closures/{closure_id}/delete")
    assert _count(query, Closure) == 0


@pytest.mark.parametrize(
    ("offset", "message"),
    [(-1, "That date has passed."), (3 * 366 + 1, "up to three years ahead")],
)
def test_closure_dates_out_of_range(admin, factory, query, offset, message):
    branch_id = factory.branch()
    day = local_today("America/New_York") + dt.timedelta(days=offset)
    response = admin.post(f"/branches/{branch_id}/closures/new", data={"date": day.isoformat()})
    assert message in response.text
    assert _count(query, Closure) == 0


def test_closure_of_another_branch_is_404(admin, factory, query):
    a, b = factory.branch(), factory.branch()
    day = local_today("America/New_York") + dt.timedelta(days=3)
    admin.post(f"/branches/{a}/closures/new", data={"date": day.isoformat()})
    closure_id = query(lambda: db.session.scalars(sa.select(Closure.id)).one())
    assert admin.post(f"/branches/{b}/closures/{closure_id}/delete").status_code == 404
    assert _count(query, Closure) == 1


def _closures(query) -> list[tuple[int, dt.date, str]]:
    return query(
        lambda: [
            (c.branch_id, c.date, c.reason)
            for c in db.session.scalars(
                sa.select(Closure).order_by(Closure.branch_id, Closure.date)
            )
        ]
    )


def test_a_closure_over_several_days_is_one_row_a_day_and_removed_together(admin, factory, query):
    branch_id = factory.branch()
    first = local_today("America/New_York") + dt.timedelta(days=20)
    last = first + dt.timedelta(days=2)
    response = admin.post(
        f"/branches/{branch_id}/closures/new",
        data={"date": first.isoformat(), "last_day": last.isoformat(), "reason": "Inventory"},
        follow_redirects=True,
    )
    assert "Closure added: 3 days." in response.text
    assert _closures(query) == [
        (branch_id, first + dt.timedelta(days=n), "Inventory") for n in range(3)
    ]
    page = admin.get(f"/branches/{branch_id}").text
    assert page.count("Inventory") == 1  # one line for the three days
    assert f"{first:%a, %b} {first.day}, {first.year}" in page  # as `when` shows a day in English
    assert f"{last:%a, %b} {last.day}, {last.year}" in page

    # Overlapping a day already closed: the new days are added, the old one is kept.
    response = admin.post(
        f"/branches/{branch_id}/closures/new",
        data={"date": last.isoformat(), "last_day": (last + dt.timedelta(days=1)).isoformat()},
        follow_redirects=True,
    )
    assert "Closure added: 1 day. 1 day was already closed" in response.text
    assert len(_closures(query)) == 4

    first_id = query(lambda: db.session.scalar(sa.select(sa.func.min(Closure.id))))
    confirm = admin.get(f"/branches/{branch_id}/closures/{first_id}/delete").text
    assert f"{first.isoformat()} to {last.isoformat()}" in confirm
    admin.post(f"/branches/{branch_id}/closures/{first_id}/delete")
    assert [row[1:] for row in _closures(query)] == [(last + dt.timedelta(days=1), "")]


@pytest.mark.parametrize(
    ("first", "last", "message"),
    [
        (5, 4, "The last day cannot be before the first day."),
        (5, 5 + 366, "A closure covers at most 366 days."),
        (-1, 3, "That date has passed."),
        (3 * 366 - 2, 3 * 366 + 2, "up to three years ahead"),
        (5, "not a date", "Not a valid date value."),
    ],
)
def test_closure_range_is_checked(admin, factory, query, first, last, message):
    branch_id = factory.branch()
    today = local_today("America/New_York")
    response = admin.post(
        f"/branches/{branch_id}/closures/new",
        data={
            "date": (today + dt.timedelta(days=first)).isoformat(),
            "last_day": last
            if isinstance(last, str)
            else (today + dt.timedelta(days=last)).isoformat(),
        },
    )
    assert response.status_code in (200, 409)
    assert message in response.text
    assert _count(query, Closure) == 0


def test_holiday_for_every_branch_keeps_meetings_and_says_how_many(app, world, factory, query):
    """An admin closes every branch for three days; meetings already planned on them stay
    (as a single-day closure always did), and the admin is told how many there are."""
    client = app.test_client()
    login(client, "admin@example.org")
    circle_id = world.circle()
    first_start = query(lambda: db.session.get(Circle, circle_id).meetings[0].starts_at)
    meeting_day = first_start.astimezone(ZoneInfo("America/New_York")).date()
    first = meeting_day - dt.timedelta(days=1)
    page = client.get("/branches/").text
    assert "Closure at every branch" in page
    response = client.post(
        "/branches/closures/new",
        data={
            "date": first.isoformat(),
            "last_day": (first + dt.timedelta(days=2)).isoformat(),
            "reason": "Winter holiday",
        },
        follow_redirects=True,
    )
    assert "Closure added at 2 branches: 6 branch days." in response.text
    assert "1 meeting or booking is still planned on those days" in response.text
    assert {(b, r) for b, _, r in _closures(query)} == {
        (world.branch, "Winter holiday"),
        (world.other_branch, "Winter holiday"),
    }
    # Nothing new to close: refused, nothing changes.
    again = client.post(
        "/branches/closures/new",
        data={"date": first.isoformat(), "last_day": (first + dt.timedelta(days=2)).isoformat()},
    )
    assert "Already closed on every one of those days." in again.text
    assert _count(query, Closure) == 6


def test_only_an_admin_closes_every_branch(app, world):
    client = app.test_client()
    login(client, "boss@example.org")  # manages one branch
    assert client.get("/branches/closures/new").status_code in (403, 404)
    day = local_today("America/New_York") + dt.timedelta(days=3)
    assert client.post("/branches/closures/new", data={"date": day.isoformat()}).status_code in (
        403,
        404,
    )


def test_room_lifecycle(admin, factory, query):
    branch_id = factory.branch()
    response = admin.post(
        f"/branches/{branch_id}/rooms/new",
        data={
            "name": "Lab",
            "capacity": "20",
            "features": ["computers", "accessible"],
            "bookable": "y",
        },
    )
    assert response.status_code == 302
    room = query(lambda: db.session.scalars(sa.select(Room)).one())
    assert (room.name, room.capacity, room.features, room.bookable) == (
        "Lab",
        20,
        ["accessible", "computers"],
        True,
    )
    page = admin.get(f"/branches/{branch_id}").text
    assert "Computers" in page
    assert "Wheelchair accessible" in page

    admin.post(f"/rooms/{room.id}/edit", data={"name": "Lab 2", "capacity": "12"})
    room = query(lambda: db.session.get(Room, room.id))
    assert (room.name, room.capacity, room.features, room.bookable) == ("Lab 2", 12, [], False)

    assert "This cannot be undone" in admin.get(f"/rooms/{room.id}/delete").text
    assert _count(query, Room) == 1
    admin.post(f"/rooms/{room.id}/delete")
    assert _count(query, Room) == 0


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "R", "capacity": "0"}, "Between 1 and 1000 seats."),
        ({"name": "R", "capacity": "-3"}, "Between 1 and 1000 seats."),
        ({"name": "R", "capacity": "1000000000"}, "Between 1 and 1000 seats."),
        ({"name": "R", "capacity": "ten"}, "Not a valid integer value."),
        ({"name": "R", "capacity": ""}, "Enter the number of seats."),
        ({"name": "", "capacity": "5"}, "This field is required."),
        ({"name": "R", "capacity": "5", "features": ["jacuzzi"]}, "is not a valid choice"),
    ],
)
def test_room_bad_input_saves_nothing(admin, factory, query, data, message):
    branch_id = factory.branch()
    response = admin.post(f"/branches/{branch_id}/rooms/new", data=data)
    assert response.status_code == 200
    assert message in response.text
    assert _count(query, Room) == 0


def test_duplicate_room_name_in_branch_is_refused(admin, factory, query):
    branch_id = factory.branch()
    factory.room(branch_id, "Lab")
    other = factory.branch()
    response = admin.post(f"/branches/{branch_id}/rooms/new", data={"name": "Lab", "capacity": "5"})
    assert "already has a room with that name" in response.text
    # The same name at another branch is fine.
    assert (
        admin.post(
            f"/branches/{other}/rooms/new", data={"name": "Lab", "capacity": "5"}
        ).status_code
        == 302
    )
    assert _count(query, Room) == 2


def test_empty_states(admin, factory):
    assert "No branches yet." in admin.get("/branches/").text
    branch_id = factory.branch()
    page = admin.get(f"/branches/{branch_id}").text
    assert "No rooms yet." in page
    assert "No closures planned." in page
