"""Values at the edges (security review, issue 11): ids and page numbers beyond their types,
dates at the ends of the calendar, control characters, caching of personal pages, the booking
horizon and the limits on request bodies. Nothing of this may answer a 5xx."""

from __future__ import annotations

import datetime as dt
import http.client
import importlib
import pkgutil
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from flask_wtf import FlaskForm
from werkzeug.routing import IntegerConverter
from wtforms import (
    BooleanField,
    DateField,
    DateTimeField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TimeField,
)
from wtforms.fields.core import UnboundField

import app as app_package
from app.extensions import db
from app.models import Booking, Circle, Course, Meeting
from app.timeutil import local_today
from tests.conftest import login
from tests.factories import next_weekday, wizard_data

HUGE = "99999999999999999999999"  # beyond 64 bits
BEYOND_INT32 = str(2**31)  # ids are 32-bit integers on PostgreSQL
DEMO_PASSWORD = "learning-circles-demo"
SENTINEL = 7654321


def _routes(app, int_value: int | str = 1):
    """(endpoint, method, path) for every route: ints given ``int_value``, strings "x"."""
    from flask import url_for

    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if rule.endpoint == "static":
                continue
            ints = [n for n, c in rule._converters.items() if isinstance(c, IntegerConverter)]
            values = {n: SENTINEL if n in ints else "x" for n in rule._converters}
            path = url_for(rule.endpoint, **values, _external=False)
            path = path.replace(str(SENTINEL), str(int_value))
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield rule.endpoint, method, path, bool(ints)


def _as_admin(app):
    client = app.test_client()
    assert login(client, "admin@example.org", DEMO_PASSWORD).status_code == 302
    return client


# --- ids ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [BEYOND_INT32, HUGE])
@pytest.mark.parametrize("who", ["admin@example.org", None])
def test_ids_beyond_32_bits_are_404_on_every_route(app, world, value, who):
    client = app.test_client()
    if who:
        login(client, who)
    checked = 0
    for endpoint, method, path, has_int in _routes(app, value):
        if not has_int:
            continue
        response = client.open(path, method=method)
        assert response.status_code == 404, (endpoint, method, path, response.status_code)
        checked += 1
    assert checked >= 40


def test_the_largest_32_bit_id_is_still_routed(app, client):
    assert client.get(f"/circles/{2**31 - 1}").status_code == 404  # routed: no such circle
    assert client.get(f"/circles/{2**31}").status_code == 404  # not routed


# --- query strings -------------------------------------------------------------------------------

# Every name a view reads from the query string, with values at the edges.
QUERY_NAMES = [
    "page",
    "q",
    "date",
    "view",
    "course_id",
    "room_id",
    "branch",
    "feature",
    "retired",
    "next",
    "skill_area",
    "provider",
    "language",
    "format",
    "career_stage",
    "credential",
    "weekday",
    "open_seats",
    "sort",
]
HOSTILE_QUERIES = [
    "&".join(f"{name}={HUGE}" for name in QUERY_NAMES),
    "&".join(f"{name}=-{HUGE}" for name in QUERY_NAMES),
    "&".join(f"{name}={BEYOND_INT32}" for name in QUERY_NAMES),
    "&".join(f"{name}=0001-01-01" for name in QUERY_NAMES),
    "&".join(f"{name}=9999-12-31" for name in QUERY_NAMES),
    "date=9999-12-31&view=day",
    "date=0001-01-01&view=day",
    "date=2024-02-30",
]
CONTROL_QUERIES = ["q=%00", "q=a%00b&page=2", "date=%01", "page=1%00", "q%00=1", "q=%1b[31m"]


def _walk_queries(client, app):
    checked = 0
    for endpoint, method, path, _has_int in _routes(app):
        if method != "GET":
            continue
        for query in HOSTILE_QUERIES:
            response = client.get(f"{path}?{query}")
            assert response.status_code < 500, (endpoint, query, response.status_code)
        for query in CONTROL_QUERIES:
            response = client.get(f"{path}?{query}")
            assert response.status_code in {400, 404}, (endpoint, query, response.status_code)
        checked += 1
    assert checked >= 30


def test_hostile_query_strings_never_fail_for_an_admin(app, demo):
    _walk_queries(_as_admin(app), app)


def test_hostile_query_strings_never_fail_anonymously(app, demo):
    _walk_queries(app.test_client(), app)


def test_control_characters_in_a_query_string_are_refused(app, client):
    for query in CONTROL_QUERIES:
        response = client.get(f"/courses/?{query}")
        assert response.status_code == 400, query
        assert "control character" in response.text
    assert client.get("/courses/?q=%E2%9C%93%09").status_code == 400  # a tab is one too
    assert client.get("/courses/?q=caf%C3%A9").status_code == 200


@pytest.mark.parametrize(
    "path", ["/feeds/a%00b.ics", "/manage/a%00b", "/manage/%07/withdraw", "/password/reset/%00"]
)
def test_control_characters_in_a_path_are_refused(app, client, path):
    assert client.get(path).status_code == 400
    assert client.post(path).status_code in {400, 405}


@pytest.mark.parametrize("path", ["/courses/", "/circles/", "/admin/users"])
def test_page_numbers_are_range_checked(app, demo, path):
    client = _as_admin(app)
    assert client.get(f"{path}?page=2").status_code == 200
    assert client.get(f"{path}?page=1000").status_code == 200  # past the end: an empty page
    assert client.get(f"{path}?page=x").status_code == 200  # not a number: the first page
    for page in (HUGE, BEYOND_INT32, str(2**63)):
        response = client.get(f"{path}?page={page}")
        assert response.status_code == 400, page
        assert "There is no page" in response.text


def test_the_room_grid_refuses_dates_out_of_range(app, world):
    client = app.test_client()
    login(client, "boss@example.org")
    base = f"/branches/{world.branch}/calendar"
    assert client.get(f"{base}?date=2030-06-03").status_code == 200
    assert client.get(f"{base}?date=not-a-date").status_code == 200  # this week
    for day in ("0001-01-01", "9999-12-31", "1999-12-31", "2101-01-01"):
        response = client.get(f"{base}?date={day}")
        assert response.status_code == 400, day
        assert "between 2000-01-01 and 2100-12-31" in response.text


# --- form bodies ---------------------------------------------------------------------------------


def _app_forms() -> list[type[FlaskForm]]:
    for module in pkgutil.walk_packages(app_package.__path__, "app."):
        if module.name.endswith(".forms") or module.name == "app.forms":
            importlib.import_module(module.name)
    found, todo = [], [FlaskForm]
    while todo:
        for sub in todo.pop().__subclasses__():
            todo.append(sub)
            if sub.__module__.startswith("app."):
                found.append(sub)
    return found


def test_every_form_of_the_app_is_a_base_form():
    from app.forms import BaseForm

    forms = _app_forms()
    assert len(forms) >= 25
    assert [f.__name__ for f in forms if not issubclass(f, BaseForm)] == []


def _field_kinds() -> dict[str, type]:
    kinds: dict[str, type] = {}
    for form in _app_forms():
        for name in dir(form):
            value = getattr(form, name, None)
            if isinstance(value, UnboundField):
                kinds.setdefault(name, value.field_class)
    return kinds


def _body(kinds, *, text="Edge", number="3", day=None, extra=None) -> dict:
    day = day or next_weekday(2).isoformat()
    body: dict = {}
    for name, kind in kinds.items():
        if issubclass(kind, TimeField):  # a DateTimeField too
            body[name] = "10:00"
        elif issubclass(kind, (DateField, DateTimeField)):
            body[name] = day
        elif issubclass(kind, BooleanField):
            body[name] = "y"
        elif issubclass(kind, (IntegerField, SelectField, SelectMultipleField)):
            body[name] = number
        elif issubclass(kind, StringField):
            body[name] = text
    body.update(
        {
            "email": "edge@example.org",
            "timezone": "America/New_York",
            "format": "in_person",
            "audience": "public",
            "closure_policy": "move",
            "mode": "all",
            "explicit_dates": day if day != next_weekday(2).isoformat() else "",
            "url": "https://example.org/",
            "join_url": "",
            "action": "create",
            "goto": "review",
            "scope": "personal",
            "which": "assign",
            **{
                f"days-{i}-{k}": "09:00" if k == "opens" else "17:00"
                for i in range(7)
                for k in ("opens", "closes")
            },
            **(extra or {}),
        }
    )
    return body


def _hostile_bodies(kinds) -> list[dict]:
    return [
        _body(kinds, day="0001-01-01"),
        _body(kinds, day="9999-12-31"),
        _body(kinds, day="2100-12-31"),
        _body(kinds, number=HUGE),
        _body(kinds, number=BEYOND_INT32),
        _body(kinds, number=f"-{HUGE}"),
        _body(kinds, text="Edge\x00case"),
        _body(kinds, text="Edge\x1bcase\r\n"),
    ]


# The walk stays signed in as the admin.
SELF_HARM = {"auth.logout", "auth.login", "auth.profile", "auth.change_password"}


def test_hostile_form_bodies_never_fail(app, demo):
    client = _as_admin(app)
    bodies = _hostile_bodies(_field_kinds())
    checked = 0
    # What deletes or ends things goes last, so the other forms still find their objects.
    ending = ("delete", "cancel", "remove", "retire", "withdraw", "complete")
    routes = sorted(_routes(app), key=lambda route: any(w in route[0] for w in ending))
    for endpoint, method, path, _has_int in routes:
        if method != "POST" or endpoint in SELF_HARM:
            continue
        for body in bodies:
            response = client.post(path, data=body)
            assert response.status_code < 500, (endpoint, path, body, response.status_code)
        checked += 1
    assert checked >= 30


def _course_data(**overrides) -> dict:
    return {
        "title": "Edge cases",
        "provider": "NNLM",
        "url": "https://example.org/course",
        "skill_area": "grant_writing",
        "language": "en",
        "format": "self_paced",
        "career_stage": "all",
        "credential": "",
        "description": "",
    } | overrides


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", "Edge\x00cases"),
        ("title", "Edge\ncases"),  # a single-line field
        ("provider", "NN\x7fLM"),
        ("description", "Line one\x00"),
        ("description", "Bell \x07"),
    ],
)
def test_control_characters_in_a_form_are_refused_beside_the_field(
    client, world, query, field, value
):
    login(client, "admin@example.org")
    before = query(lambda: db.session.scalar(sa.select(sa.func.count()).select_from(Course)))
    response = client.post("/courses/new", data=_course_data(**{field: value}))
    assert response.status_code == 200
    assert "Remove the control character" in response.text
    after = query(lambda: db.session.scalar(sa.select(sa.func.count()).select_from(Course)))
    assert after == before


def test_multi_line_fields_keep_tabs_and_line_breaks(client, world, query):
    login(client, "admin@example.org")
    response = client.post("/courses/new", data=_course_data(description="Line one\r\n\tLine two"))
    assert response.status_code == 302, response.text
    saved = query(
        lambda: db.session.scalar(sa.select(Course.description).filter_by(title="Edge cases"))
    )
    assert saved == "Line one\r\n\tLine two"


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "1999-12-31", "2101-01-01"])
def test_dates_out_of_range_are_refused_beside_the_field(client, world, query, day):
    login(client, "lead@example.org")
    response = client.post("/circles/new", data=wizard_data(world, first_date=day, goto="review"))
    assert response.status_code == 200
    assert "Enter a date between 2000-01-01 and 2100-12-31." in response.text
    response = client.post(
        f"/branches/{world.branch}/bookings/new",
        data={
            "room_id": world.room,
            "title": "Far away",
            "date": day,
            "start_time": "10:00",
            "end_time": "11:00",
            "repeat": "0",
        },
    )
    assert response.status_code == 200
    assert "Enter a date between 2000-01-01 and 2100-12-31." in response.text
    assert query(lambda: db.session.scalar(sa.select(sa.func.count()).select_from(Circle))) == 0
    assert query(lambda: db.session.scalar(sa.select(sa.func.count()).select_from(Booking))) == 0


# --- the booking horizon -----------------------------------------------------------------------


def _weekday_after(days: int, weekday: int = 2) -> dt.date:
    day = local_today("America/New_York") + dt.timedelta(days=days)
    return day + dt.timedelta(days=(weekday - day.weekday()) % 7)


def test_a_room_is_booked_only_up_to_the_horizon(client, world, query):
    login(client, "lead@example.org")
    url = f"/branches/{world.branch}/bookings/new"
    data = {"room_id": world.room, "title": "Far", "start_time": "10:00", "end_time": "11:00"}
    for day in (_weekday_after(740), dt.date(2100, 12, 29)):
        response = client.post(url, data=data | {"date": day.isoformat(), "repeat": "0"})
        assert response.status_code == 200, day
        assert "Rooms can be booked up to 730 days ahead" in response.text
    # A weekly repeat that would run past the horizon is refused as a whole.
    response = client.post(url, data=data | {"date": _weekday_after(700).isoformat(), "repeat": 8})
    assert "Rooms can be booked up to 730 days ahead" in response.text
    assert query(lambda: db.session.scalar(sa.select(sa.func.count()).select_from(Booking))) == 0
    response = client.post(url, data=data | {"date": _weekday_after(700).isoformat(), "repeat": 0})
    assert response.status_code == 302


def test_blocks_stop_at_the_horizon(client, world, query):
    login(client, "boss@example.org")
    first = _weekday_after(720)
    response = client.post(
        f"/rooms/{world.room}/block",
        data={
            "first_day": first.isoformat(),
            "last_day": (first + dt.timedelta(days=30)).isoformat(),
            "reason": "Works",
        },
    )
    assert response.status_code == 200
    assert "Rooms can be booked up to 730 days ahead" in response.text
    assert query(lambda: db.session.scalar(sa.select(sa.func.count()).select_from(Booking))) == 0


def test_the_horizon_is_a_setting(app, client, world):
    app.config["BOOKING_HORIZON_DAYS"] = 30  # read on each request
    login(client, "lead@example.org")
    data = {"room_id": world.room, "title": "Soon", "start_time": "10:00", "end_time": "11:00"}
    url = f"/branches/{world.branch}/bookings/new"
    response = client.post(url, data=data | {"date": _weekday_after(35).isoformat()})
    assert "Rooms can be booked up to 30 days ahead" in response.text
    assert client.post(url, data=data | {"date": _weekday_after(20).isoformat()}).status_code == 302


def test_circle_meetings_stay_within_the_horizon(client, world, query):
    login(client, "lead@example.org")
    far = _weekday_after(725, weekday=1)
    response = client.post(
        "/circles/new",
        data=wizard_data(world, first_date=far.isoformat(), meeting_count="6", goto="review"),
    )
    assert response.status_code == 200
    assert "Meetings can be planned up to 730 days ahead" in response.text
    response = client.post(
        "/circles/new",
        data=wizard_data(world, explicit_dates=_weekday_after(900, 1).isoformat(), goto="review"),
    )
    assert "Meetings can be planned up to 730 days ahead" in response.text
    circle_id = world.circle()
    meeting_id = query(
        lambda: db.session.scalar(sa.select(Meeting.id).filter_by(circle_id=circle_id).limit(1))
    )
    response = client.post(
        f"/meetings/{meeting_id}/edit",
        data={
            "date": _weekday_after(760, weekday=1).isoformat(),
            "start_time": "18:00",
            "duration_minutes": "60",
        },
    )
    assert "Meetings can be planned up to 730 days ahead" in response.text
    assert query(lambda: db.session.scalar(sa.select(sa.func.count()).select_from(Circle))) == 1


# --- caching -----------------------------------------------------------------------------------


def test_pages_without_their_own_caching_are_never_stored(app, demo):
    client = _as_admin(app)
    seen = 0
    for endpoint, method, path, _has_int in _routes(app):
        if method != "GET":
            continue
        response = client.get(path)
        cache_control = response.headers.get("Cache-Control", "")
        if endpoint.startswith("calendar.") and response.mimetype == "text/calendar":
            assert "max-age=300" in cache_control, endpoint
        elif endpoint.startswith("api.") and response.is_json and response.status_code == 200:
            # Public data with an ETag: kept, but asked again each time (304 when unchanged).
            assert cache_control == "no-cache", endpoint
            assert response.headers.get("ETag"), endpoint
        else:
            assert cache_control == "no-store", (endpoint, path, response.status_code)
        seen += response.status_code == 200
    assert seen >= 25
    for path in ("/reports/by-branch.csv", "/account", "/my/circles", "/nowhere"):
        response = client.get(path)
        assert response.headers.get("Cache-Control") == "no-store", path
    with client.get("/static/style.css") as static:
        assert static.status_code == 200
        assert static.headers.get("Cache-Control") == "no-cache"  # its own, with an ETag


# --- request bodies ----------------------------------------------------------------------------


def _post_chunked(port: int, path: str, body: bytes, chunk: int = 64 * 1024):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.putrequest("POST", path)
    conn.putheader("Transfer-Encoding", "chunked")
    conn.putheader("Content-Type", "application/x-www-form-urlencoded")
    conn.endheaders()
    try:
        for start in range(0, len(body), chunk):
            piece = body[start : start + chunk]
            conn.send(b"%x\r\n%s\r\n" % (len(piece), piece))
        conn.send(b"0\r\n\r\n")
    except (BrokenPipeError, ConnectionResetError):
        pass  # the server answered before reading everything
    response = conn.getresponse()
    result = response.status, response.getheader("Location"), response.read()
    conn.close()
    return result


def test_a_chunked_body_over_the_limit_is_413(server):
    login_body = "email=lead%40example.org&password=" + quote("correct horse battery")
    status, location, _ = _post_chunked(server, "/login", login_body.encode())
    assert (status, location) == (302, "/")  # a small chunked body is read in full
    big = (login_body + "&padding=" + "x" * (12 * 1024 * 1024)).encode()
    status, _, page = _post_chunked(server, "/login", big)
    assert status == 413
    assert b"What you sent is too large: at most 2 MB can be sent at once." in page
    just_over = (login_body + "&padding=").encode()
    just_over += b"x" * (2 * 1024 * 1024 - len(just_over) + 1)
    assert _post_chunked(server, "/login", just_over)[0] == 413


def test_urlencoded_forms_are_limited_in_fields_and_size(app, client, world):
    login(client, "admin@example.org")
    fields = "&".join(f"f{i}=1" for i in range(5000))
    response = client.post(
        "/courses/new", data=fields, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 413
    assert "What you sent is too large: at most 2 MB can be sent at once." in response.text
    fine = "&".join(f"f{i}=1" for i in range(400))
    response = client.post(
        "/courses/new", data=fine, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    big = "title=" + "x" * (app.config["MAX_FORM_MEMORY_SIZE"] + 1)
    response = client.post(
        "/courses/new", data=big, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 413
    assert app.config["MAX_FORM_PARTS"] == 1000
