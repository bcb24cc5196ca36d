"""The write API's endpoints (/api/v1, app/api/write_views.py), with personal API tokens: each
goes through its page's service and permissions (409 naming the clash, 422 with the field,
403, 404), a body off the document is a 400, and the document and docs page say which need a
token. The tokens themselves (hashing, scopes, revoking, 401s, the limit) are tested in
tests/test_api_tokens.py."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from app.api import tokens
from app.extensions import db
from app.models import (
    Attendance,
    AttendanceChange,
    Booking,
    BookingStatus,
    Enrollment,
    EnrollmentStatus,
    Outcome,
    User,
)
from app.timeutil import utcnow
from tests.factories import build_attendance_setting, next_weekday


def make_token(app, user_id: int, *scopes: str, days: int = 30) -> str:
    with app.test_request_context():
        user = db.session.get(User, user_id)
        _token, secret = tokens.create(user, "tool", list(scopes), days)
        db.session.commit()
    return secret


def call(client, path: str, secret: str | None, body: dict | None = None, **kwargs):
    headers = {"Authorization": f"Bearer {secret}"} if secret else {}
    return client.post(path, json=body if body is not None else {}, headers=headers, **kwargs)


def assert_error(response, status: int, code: str, *words: str) -> dict:
    assert response.status_code == status, response.text
    assert response.mimetype == "application/json"
    error = response.json["error"]
    assert error["code"] == code, error
    for word in words:
        assert word in error["message"], error
    return error


def booking_body(world_room: int, **overrides) -> dict:
    body = {
        "room_id": world_room,
        "title": "Board meeting",
        "date": next_weekday(2).isoformat(),  # a Wednesday: Main is open 9:00-21:00
        "start_time": "10:00",
        "end_time": "11:30",
    }
    return body | overrides


def slot(room: int, n: int) -> dict:
    """The ``n``-th of two-hour slots from 10:00 (an hour each), apart from one another."""
    return booking_body(room, start_time=f"{10 + 2 * n}:00", end_time=f"{11 + 2 * n}:00")


def bookings_in(app, room_id: int) -> list[tuple[str, dt.datetime]]:
    with app.app_context():
        return [
            (b.title, b.starts_at)
            for b in db.session.scalars(
                sa.select(Booking)
                .where(Booking.room_id == room_id, Booking.status == BookingStatus.active)
                .order_by(Booking.starts_at)
            )
        ]


# --- bookings ---------------------------------------------------------------------------------


def test_a_double_booking_is_a_409_naming_the_clash(client, world, app):
    secret = make_token(app, world.lead, "bookings")
    made = call(client, "/api/v1/bookings", secret, booking_body(world.room))
    assert made.status_code == 201, made.text
    [item] = made.json["items"]
    assert item["room_id"] == world.room
    clash = call(client, "/api/v1/bookings", secret, booking_body(world.room, title="Other"))
    error = assert_error(clash, 409, "conflict", "Lab is taken", "“Board meeting”")
    assert error["field"] == "room_id"
    assert [t for t, _ in bookings_in(app, world.room)] == ["Board meeting"]


def test_a_weekly_series_is_booked_whole_or_not_at_all(client, world, app):
    secret = make_token(app, world.lead, "bookings")
    series = call(client, "/api/v1/bookings", secret, booking_body(world.room, repeats=2))
    assert series.status_code == 201, series.text
    starts = [i["starts_at"] for i in series.json["items"]]
    assert len(starts) == 3
    # A second series a week earlier: its first week is free, its second clashes. Nothing of
    # it is kept (the service's all-or-nothing; the refusal is undone, not committed).
    week_before = dt.date.fromisoformat(booking_body(world.room)["date"]) - dt.timedelta(weeks=1)
    clash = call(
        client,
        "/api/v1/bookings",
        secret,
        booking_body(world.room, title="Late", date=week_before.isoformat(), repeats=1),
    )
    assert_error(clash, 409, "conflict", "“Board meeting”")
    assert [t for t, _ in bookings_in(app, world.room)] == ["Board meeting"] * 3


def test_booking_keeps_the_pages_rules(client, world, app, factory):
    secret = make_token(app, world.lead, "bookings")
    closed = call(client, "/api/v1/bookings", secret, booking_body(world.room, start_time="07:00"))
    assert assert_error(closed, 422, "unprocessable_content", "Outside opening hours")["field"] == (
        "start_time"
    )
    backwards = call(client, "/api/v1/bookings", secret, booking_body(world.room, end_time="09:30"))
    assert_error(backwards, 422, "unprocessable_content", "The end must be after the start.")
    assert_error(
        call(client, "/api/v1/bookings", secret, booking_body(2**31 - 1)), 404, "not_found"
    )
    # Someone who is not staff (any more) is refused as the booking page refuses them.
    with app.app_context():
        db.session.get(User, world.lead).is_facilitator = False
        db.session.commit()
    assert_error(
        call(client, "/api/v1/bookings", secret, booking_body(world.room)), 403, "forbidden"
    )
    assert bookings_in(app, world.room) == []


@pytest.mark.parametrize(
    "body",
    [
        {"room_id": "one"},
        {"room_id": 1, "title": "x", "date": "2026-13-40", "start_time": "10:00", "end_time": "x"},
        {
            "room_id": 1,
            "title": "x\x00",
            "date": "2030-01-01",
            "start_time": "10:00",
            "end_time": "11:00",
        },
        {
            "room_id": 1,
            "title": "x",
            "date": "9999-12-31",
            "start_time": "10:00",
            "end_time": "11:00",
        },
        {
            "room_id": 1,
            "title": "x",
            "date": "2030-01-01",
            "start_time": "10:00",
            "end_time": "11:00",
            "repeats": 52,
        },
        {
            "room_id": 1,
            "title": "x",
            "date": "2030-01-01",
            "start_time": "10:00",
            "end_time": "11:00",
            "extra": 1,
        },
        [],
    ],
)
def test_a_body_off_the_document_is_a_json_400_and_changes_nothing(client, world, app, body):
    secret = make_token(app, world.lead, "bookings")
    response = client.post(
        "/api/v1/bookings", json=body, headers={"Authorization": f"Bearer {secret}"}
    )
    assert_error(response, 400, "bad_request")
    assert bookings_in(app, world.room) == []


def test_a_body_that_is_not_json_is_a_400(client, world, app):
    secret = make_token(app, world.lead, "bookings")
    headers = {"Authorization": f"Bearer {secret}"}
    for data, kind in [("{not json", "application/json"), ("room_id=1", "text/plain")]:
        response = client.post("/api/v1/bookings", data=data, headers=headers, content_type=kind)
        assert_error(response, 400, "bad_request")


# --- joining and leaving -----------------------------------------------------------------------


def test_joining_a_full_circle_puts_one_on_the_waitlist_and_twice_is_a_409(
    client, world, app, factory
):
    setting = build_attendance_setting(app, world, factory)  # 3 seats taken, Wes waiting
    joe = factory.user("joe@example.org", name="Joe")
    secret = make_token(app, joe, "participation")
    joined = call(client, f"/api/v1/circles/{setting.circle}/join", secret)
    assert joined.status_code == 201, joined.text
    assert joined.json["status"] == "waitlisted"
    assert joined.json["waitlist_position"] == 2
    again = call(client, f"/api/v1/circles/{setting.circle}/join", secret)
    assert_error(again, 409, "conflict", "already signed up")
    assert_error(call(client, f"/api/v1/circles/{2**31 - 1}/join", secret), 404, "not_found")


def test_a_facilitator_cannot_join_their_own_circle(client, world, app):
    circle = world.circle()
    secret = make_token(app, world.lead, "participation")
    refused = call(client, f"/api/v1/circles/{circle}/join", secret)
    assert_error(refused, 422, "unprocessable_content", "You facilitate this circle")


def test_withdrawing_gives_the_seat_to_the_waitlist(client, world, app, factory):
    setting = build_attendance_setting(app, world, factory)
    secret = make_token(app, world.participant, "participation")  # Pat holds a seat
    left = call(client, f"/api/v1/circles/{setting.circle}/withdraw", secret)
    assert left.status_code == 200, left.text
    assert left.json == {
        "id": setting.pat,
        "circle_id": setting.circle,
        "status": "withdrawn",
        "moved_up": 1,
    }
    with app.app_context():
        assert db.session.get(Enrollment, setting.wes).status == EnrollmentStatus.enrolled
    assert_error(
        call(client, f"/api/v1/circles/{setting.circle}/withdraw", secret), 404, "not_found"
    )


# --- attendance --------------------------------------------------------------------------------


def test_a_facilitator_takes_attendance_through_the_sheets_rules(client, world, app, factory):
    setting = build_attendance_setting(app, world, factory)
    secret = make_token(app, world.co, "attendance")
    held, ahead = setting.meetings[0], setting.meetings[1]
    body = {
        "marks": [
            {"enrollment_id": setting.pat, "status": "present"},
            {"enrollment_id": setting.ann, "status": "absent"},
        ],
        "walk_ins": 2,
    }
    taken = call(client, f"/api/v1/meetings/{held}/attendance", secret, body)
    assert taken.status_code == 200, taken.text
    assert taken.json["changed"] == 2
    assert taken.json["walk_ins"] == 2
    # Marks left out stay; the walk-ins already saved stay when left out.
    more = {"marks": [{"enrollment_id": setting.bob, "status": "excused"}]}
    again = call(client, f"/api/v1/meetings/{held}/attendance", secret, more)
    assert again.json["walk_ins"] == 2
    assert {m["enrollment_id"]: m["status"] for m in again.json["marks"]} == {
        setting.pat: "present",
        setting.ann: "absent",
        setting.bob: "excused",
    }
    with app.app_context():
        changes = db.session.scalars(sa.select(AttendanceChange.changed_by_id)).all()
        assert changes == [world.co] * 3  # the history names the token's person
    not_yet = call(client, f"/api/v1/meetings/{ahead}/attendance", secret, more)
    assert_error(not_yet, 422, "unprocessable_content", "once the meeting has started")
    waiting = {"marks": [{"enrollment_id": setting.wes, "status": "present"}]}
    assert_error(
        call(client, f"/api/v1/meetings/{held}/attendance", secret, waiting),
        422,
        "unprocessable_content",
        "not enrolled",
    )


def test_attendance_of_someone_elses_circle_is_403(client, world, app, factory):
    setting = build_attendance_setting(app, world, factory)
    fay = db_user_id(app, "fay@example.org")  # a facilitator of none of it
    secret = make_token(app, fay, "attendance")
    body = {"marks": [{"enrollment_id": setting.pat, "status": "present"}]}
    response = call(client, f"/api/v1/meetings/{setting.meetings[0]}/attendance", secret, body)
    assert_error(response, 403, "forbidden")
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Attendance.id))) == 0


def db_user_id(app, email: str) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(User.id).where(User.email == email))


# --- outcomes ----------------------------------------------------------------------------------


def test_a_facilitator_records_an_outcome_and_a_second_report_is_a_409(client, world, app, factory):
    setting = build_attendance_setting(app, world, factory)
    secret = make_token(app, world.lead, "outcomes")
    body = {
        "enrollment_id": setting.ann,
        "kind": "promotion",
        "title": "Branch supervisor",
        "achieved_on": (utcnow() - dt.timedelta(days=3)).date().isoformat(),
    }
    made = call(client, f"/api/v1/circles/{setting.circle}/outcomes", secret, body)
    assert made.status_code == 201, made.text
    assert made.json["status"] == "confirmed"
    assert made.json["title"] == "Branch supervisor"
    with app.app_context():
        from app.models import Credential

        chis = Credential(name="NNLM CHIS", kind="credential")
        db.session.add(chis)
        db.session.commit()
        chis_id = chis.id
    credential = body | {"kind": "credential", "title": "", "credential_id": chis_id}
    first = call(client, f"/api/v1/circles/{setting.circle}/outcomes", secret, credential)
    assert first.status_code == 201, first.text
    second = call(client, f"/api/v1/circles/{setting.circle}/outcomes", secret, credential)
    assert assert_error(second, 409, "conflict", "Already reported")["field"] == "again"
    grant = body | {"kind": "grant", "title": "Mini grant"}
    no_amount = call(client, f"/api/v1/circles/{setting.circle}/outcomes", secret, grant)
    assert assert_error(no_amount, 422, "unprocessable_content")["field"] == "amount"
    bad_link = body | {"evidence_url": "javascript:alert(1)"}
    refused = call(client, f"/api/v1/circles/{setting.circle}/outcomes", secret, bad_link)
    assert assert_error(refused, 422, "unprocessable_content")["field"] == "evidence_url"
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Outcome.id))) == 2


def test_outcomes_of_a_circle_one_does_not_run_are_refused(client, world, app, factory):
    setting = build_attendance_setting(app, world, factory)
    secret = make_token(app, world.participant, "participation")  # no outcomes scope
    body = {"kind": "other", "title": "x", "achieved_on": "2024-01-01"}
    response = call(client, f"/api/v1/circles/{setting.circle}/outcomes", secret, body)
    assert_error(response, 403, "forbidden", "outcomes")
    fay = make_token(app, db_user_id(app, "fay@example.org"), "outcomes")
    response = call(client, f"/api/v1/circles/{setting.circle}/outcomes", fay, body)
    assert_error(response, 403, "forbidden")


# --- the document ------------------------------------------------------------------------------


def test_the_document_says_which_operations_need_a_bearer_token(client):
    doc = client.get("/api/v1/openapi.json").json
    assert doc["components"]["securitySchemes"]["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "A personal token.",
    }
    writes = {
        (path, method)
        for path, methods in doc["paths"].items()
        for method, op in methods.items()
        if op.get("security") == [{"bearer": []}]
    }
    assert writes == {
        ("/api/v1/circles/{circle_id}/join", "post"),
        ("/api/v1/circles/{circle_id}/withdraw", "post"),
        ("/api/v1/bookings", "post"),
        ("/api/v1/meetings/{meeting_id}/attendance", "post"),
        ("/api/v1/circles/{circle_id}/outcomes", "post"),
    }
    booking = doc["paths"]["/api/v1/bookings"]["post"]
    assert booking["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/BookingBody"
    )
    assert {"201", "401", "403", "409", "422", "429"} <= set(booking["responses"])
    assert doc["paths"]["/api/v1/courses"]["get"].get("security", []) == []


def test_the_docs_page_shows_the_bodies_and_that_a_token_is_needed(client):
    html = client.get("/api/v1/docs").text
    section = html[html.index("<code>POST /api/v1/bookings</code></h2>") :]
    section = section[: section.index("</section>")]
    assert "Needs a personal API token" in section
    for field in ("room_id", "title", "date", "start_time", "end_time", "repeats"):
        assert f"<code>{field}</code>" in section, field
    reads = html[html.index("<code>GET /api/v1/courses</code></h2>") :]
    assert "Needs a personal API token" not in reads[: reads.index("</section>")]
