"""Calendar feeds: content per ICAL.md, expansion equals the database, HTTP caching,
secret links, privacy."""

from __future__ import annotations

import datetime as dt

import icalendar
import recurring_ical_events
import sqlalchemy as sa

from app.extensions import db
from app.models import Booking, Circle, Course, Enrollment, FeedCache, FeedToken, Meeting
from tests.conftest import login
from tests.factories import next_weekday

UTC = dt.UTC


def parse(response) -> icalendar.Calendar:
    assert response.status_code == 200, response.status_code
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    return icalendar.Calendar.from_ical(response.data)


def db_meetings(query, circle_id=None, status=None):
    def load():
        q = sa.select(Meeting).order_by(Meeting.starts_at)
        if circle_id:
            q = q.where(Meeting.circle_id == circle_id)
        if status:
            q = q.where(Meeting.status == status)
        return list(db.session.scalars(q))

    return query(load)


def expanded(
    calendar, start=dt.datetime(2026, 1, 1, tzinfo=UTC), end=dt.datetime(2028, 12, 31, tzinfo=UTC)
):
    return sorted(
        (e["DTSTART"].dt.astimezone(UTC), e["DTEND"].dt.astimezone(UTC), str(e["UID"]))
        for e in recurring_ical_events.of(calendar).between(start, end)
    )


def test_public_circle_feed_matches_the_database_across_dst(client, world, query):
    # Weekly on Thursdays at 18:00 New York from 4 March 2027: DST starts 14 March.
    first = dt.date(2027, 3, 4)
    circle_id = world.circle(audience="public", first_date=first, weekdays=[3], meeting_count=4)
    calendar = parse(client.get(f"/circles/{circle_id}/calendar.ics"))
    assert str(calendar["VERSION"]) == "2.0"
    assert "METHOD" not in calendar  # a subscription feed, not an invitation
    assert str(calendar["X-WR-CALNAME"]) == "Grant Writing Basics"
    assert calendar["REFRESH-INTERVAL"].to_ical() == b"PT1H"
    meetings = db_meetings(query, circle_id)
    assert expanded(calendar) == [
        (m.starts_at, m.ends_at, f"meeting-{m.id}@circles.test") for m in meetings
    ]
    hours = [m.starts_at.hour for m in meetings]
    assert hours == [23, 23, 22, 22]  # 18:00 local: EST then EDT
    event = next(iter(calendar.walk("VEVENT")))
    assert event["DTSTART"].to_ical().endswith(b"Z")  # UTC, never floating
    assert event.decoded("DTSTAMP") == meetings[0].updated_at.replace(microsecond=0)
    assert event.decoded("LAST-MODIFIED") == meetings[0].updated_at.replace(microsecond=0)
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(event["LOCATION"]) == "Main Library"  # Lab is named, not booked: not shown
    assert "Course: Grant Writing Basics (NNLM)" in str(event["DESCRIPTION"])
    assert "Lena Lead" in str(event["DESCRIPTION"])
    assert str(event["URL"]) == f"http://circles.test/circles/{circle_id}"


def test_moved_and_cancelled_meetings(client, world, query):
    circle_id = world.circle(audience="public")
    first, second = db_meetings(query, circle_id)[:2]
    login(client, "lead@example.org")
    new_day = (first.starts_at + dt.timedelta(days=1)).astimezone(world_tz()).date()
    client.post(
        f"/meetings/{first.id}/edit",
        data={"date": new_day.isoformat(), "start_time": "10:00", "duration_minutes": "60"},
    )
    client.post(f"/meetings/{second.id}/cancel")
    calendar = parse(client.get(f"/circles/{circle_id}/calendar.ics"))
    events = {str(e["UID"]): e for e in calendar.walk("VEVENT")}
    moved = events[f"meeting-{first.id}@circles.test"]
    assert int(moved["SEQUENCE"]) == 1
    assert moved.decoded("DTSTART") == db_meetings(query, circle_id)[0].starts_at
    gone = events[f"meeting-{second.id}@circles.test"]
    assert str(gone["STATUS"]) == "CANCELLED"
    assert int(gone["SEQUENCE"]) == 1
    assert len(events) == 4  # the cancelled one stays, so subscribers remove it


def world_tz():
    from zoneinfo import ZoneInfo

    return ZoneInfo("America/New_York")


def test_text_round_trips(client, world, app):
    title = "Grants, budgets; and “you” — café ☕ 🎉\nsecond line"
    circle_id = world.circle(audience="public", title="placeholder")
    with app.app_context():
        db.session.get(Circle, circle_id).title = title
        db.session.get(Course, world.course).title = "Ünïcode; course, with commas"
        db.session.commit()
    calendar = parse(client.get(f"/circles/{circle_id}/calendar.ics"))
    event = next(iter(calendar.walk("VEVENT")))
    assert str(event["SUMMARY"]) == title
    assert "Ünïcode; course, with commas" in str(event["DESCRIPTION"])
    assert all(len(line) <= 75 for line in calendar.to_ical().split(b"\r\n"))


def test_same_data_same_bytes_and_etag_then_a_change_changes_it(client, world, app):
    circle_id = world.circle(audience="public")
    one, two = (
        client.get(f"/circles/{circle_id}/calendar.ics"),
        client.get(f"/circles/{circle_id}/calendar.ics"),
    )
    assert one.data == two.data
    assert one.headers["ETag"] == two.headers["ETag"]
    assert one.headers["ETag"].startswith('"')  # strong
    assert one.headers["Cache-Control"] == "public, max-age=300"
    assert "Last-Modified" in one.headers
    with app.app_context():
        meeting = db.session.scalars(sa.select(Meeting).order_by(Meeting.id)).first()
        meeting.changed()
        db.session.commit()
    three = client.get(f"/circles/{circle_id}/calendar.ics")
    assert three.headers["ETag"] != one.headers["ETag"]
    assert three.data != one.data


def _count_statements(app, fn):
    from sqlalchemy import event

    statements = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        response = fn()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return response, statements


def test_304_does_not_build_the_calendar(client, world, app, query):
    circle_id = world.circle(audience="public")
    first = client.get(f"/circles/{circle_id}/calendar.ics")
    response, statements = _count_statements(
        app,
        lambda: client.get(
            f"/circles/{circle_id}/calendar.ics", headers={"If-None-Match": first.headers["ETag"]}
        ),
    )
    assert response.status_code == 304
    assert response.data == b""
    assert not any("meeting.sequence" in s.lower() for s in statements)  # only rendering reads it
    assert len(statements) <= 3  # BEGIN, the circle, one aggregate (facilitators included)
    # A repeat without the ETag is served from the cache: no rendering queries either.
    response, statements = _count_statements(
        app, lambda: client.get(f"/circles/{circle_id}/calendar.ics")
    )
    assert response.data == first.data
    assert not any("meeting.sequence" in s.lower() for s in statements)
    assert query(lambda: db.session.scalar(sa.select(sa.func.count()).select_from(FeedCache))) == 1


def test_staff_circle_feed_is_not_public(client, world):
    """Signed out, a staff circle's or a draft's schedule asks for sign-in, as its page does;
    signed in without access to the draft, it is missing."""
    circle_id = world.circle(audience="staff")
    draft = world.circle(audience="public", publish=False, start_time=dt.time(10))
    for path in (f"/circles/{circle_id}/calendar.ics", f"/circles/{draft}/calendar.ics"):
        response = client.get(path)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login?next=")
    login(client, "pat@example.org")
    assert client.get(f"/circles/{circle_id}/calendar.ics").status_code == 200
    assert client.get(f"/circles/{draft}/calendar.ics").status_code == 404


def test_single_meeting_download(client, world, query):
    circle_id = world.circle(audience="public")
    meeting = db_meetings(query, circle_id)[0]
    calendar = parse(client.get(f"/meetings/{meeting.id}.ics"))
    assert [str(e["UID"]) for e in calendar.walk("VEVENT")] == [
        f"meeting-{meeting.id}@circles.test"
    ]
    assert client.get("/meetings/999999.ics").status_code == 404


def _issue(client, scope, target=None) -> str:
    data = {"scope": scope, "action": "issue"}
    if target is not None:
        data["target"] = target
    page = client.post("/calendar/", data=data).text
    import re

    match = re.search(r'value="http://circles\.test(/feeds/[^"]+\.ics)"', page)
    assert match, page[-2000:]
    assert "webcal://circles.test/feeds/" in page
    return match.group(1)


def test_personal_feed_shows_only_my_circles_and_no_one_elses_data(client, world, query):
    mine = world.circle(audience="public", title="Mine")
    other = world.circle(audience="public", title="Not mine", start_time=dt.time(10))
    client.post(f"/circles/{other}/join", data={"name": "Secret Sam", "email": "sam@example.org"})
    login(client, "pat@example.org")
    client.post(f"/circles/{mine}/join")
    path = _issue(client, "personal")
    client.post("/logout")
    response = client.get(path)  # a calendar app: no cookie
    calendar = parse(response)
    assert response.headers["Cache-Control"] == "private, max-age=300"
    assert {str(e["SUMMARY"]) for e in calendar.walk("VEVENT")} == {"Mine"}
    assert expanded(calendar) == [
        (m.starts_at, m.ends_at, f"meeting-{m.id}@circles.test") for m in db_meetings(query, mine)
    ]
    public = client.get(f"/circles/{other}/calendar.ics").data
    assert b"Secret Sam" not in public
    assert b"sam@example.org" not in public
    assert b"pat@example.org" not in response.data


def test_revoked_and_regenerated_links(client, world, query):
    world.circle()
    login(client, "lead@example.org")
    old = _issue(client, "facilitator")
    assert client.get(old).status_code == 200
    new = _issue(client, "facilitator")
    assert client.get(old).status_code == 404  # regenerating kills the old link at once
    assert client.get(new).status_code == 200
    client.post("/calendar/", data={"scope": "facilitator", "action": "revoke"})
    assert client.get(new).status_code == 404
    assert client.get("/feeds/not-a-token.ics").status_code == 404
    hashes = query(lambda: [t.token_hash for t in db.session.scalars(sa.select(FeedToken))])
    assert all(len(h) == 64 for h in hashes)
    assert not any(new.split("/")[-1].removesuffix(".ics") in h for h in hashes)  # only the hash


def test_facilitator_feed_lists_circles_they_lead_or_co_lead(client, world):
    world.circle(title="Led")
    world.circle(lead=world.co, title="Someone else's", start_time=dt.time(10))
    login(client, "lead@example.org")
    path = _issue(client, "facilitator")
    summaries = {str(e["SUMMARY"]) for e in parse(client.get(path)).walk("VEVENT")}
    assert summaries == {"Led"}


def test_branch_and_room_feeds_include_bookings(client, world, query):
    circle_id = world.circle(capacity=4)
    login(client, "boss@example.org")
    client.post(f"/circles/{circle_id}/rooms", data={"room_id": world.room, "mode": "all"})
    day = next_weekday(4)
    client.post(
        f"/branches/{world.branch}/bookings/new",
        data={
            "room_id": world.room,
            "title": "Story time, kids; 🎈",
            "date": day.isoformat(),
            "start_time": "10:00",
            "end_time": "11:00",
            "repeat": "0",
        },
    )
    branch = parse(client.get(_issue(client, "branch", world.branch)))
    uids = sorted(str(e["UID"]).split("@")[0].split("-")[0] for e in branch.walk("VEVENT"))
    assert uids == ["booking"] + ["meeting"] * 4  # meeting bookings show as meetings, once
    room = parse(client.get(_issue(client, "room", world.room)))
    summaries = [str(e["SUMMARY"]) for e in room.walk("VEVENT")]
    assert summaries.count("Grant Writing Basics") == 4
    assert "Story time, kids; 🎈" in summaries
    bookings = query(
        lambda: db.session.scalars(sa.select(Booking).order_by(Booking.starts_at)).all()
    )
    assert expanded(room) == sorted(
        (b.starts_at, b.ends_at, f"booking-{b.id}@circles.test") for b in bookings
    )


def test_branch_link_stops_when_the_manager_leaves_the_branch(client, world, app):
    login(client, "boss@example.org")
    path = _issue(client, "branch", world.branch)
    assert client.get(path).status_code == 200
    with app.app_context():
        from app.models import User

        db.session.get(User, world.manager).managed_branches = []
        db.session.commit()
    assert client.get(path).status_code == 404


def test_subscribe_page_refuses_feeds_you_may_not_have(client, world):
    login(client, "pat@example.org")
    assert (
        client.post(
            "/calendar/", data={"scope": "branch", "target": world.branch, "action": "issue"}
        ).status_code
        == 404
    )
    assert (
        client.post("/calendar/", data={"scope": "facilitator", "action": "issue"}).status_code
        == 404
    )
    page = client.get("/calendar/").text
    assert "My circles" in page
    assert "Circles I facilitate" not in page


def test_empty_feed_is_a_valid_calendar(client, world):
    login(client, "pat@example.org")
    calendar = parse(client.get(_issue(client, "personal")))
    assert list(calendar.walk("VEVENT")) == []


def test_enrolment_changes_show_in_the_personal_feed(client, world, query):
    circle_id = world.circle(audience="public")
    login(client, "pat@example.org")
    client.post(f"/circles/{circle_id}/join")
    path = _issue(client, "personal")
    assert len(list(parse(client.get(path)).walk("VEVENT"))) == 4
    enrollment_id = query(lambda: db.session.scalars(sa.select(Enrollment.id)).one())
    client.post(f"/my/enrollments/{enrollment_id}/withdraw")
    assert list(parse(client.get(path)).walk("VEVENT")) == []


# --- the rendered-feed cache stays bounded ------------------------------------------------------


def _cache_rows(query, now: dt.datetime, *, stale: int, fresh: int) -> None:
    """``stale`` renderings older than the cache keeps them, ``fresh`` ones from today."""

    def add():
        for i in range(stale):
            created = now - dt.timedelta(days=3, minutes=i)
            db.session.add(FeedCache(etag=f"stale-{i}", body=b"x", created_at=created))
        for i in range(fresh):
            db.session.add(FeedCache(etag=f"fresh-{i}", body=b"x", created_at=now))
        db.session.commit()

    query(add)


def _cached_etags(query) -> list[str]:
    return query(lambda: sorted(db.session.scalars(sa.select(FeedCache.etag))))


def test_flask_feeds_prune_forgets_renderings_nobody_can_ask_for(app, query):
    now = dt.datetime.now(UTC)
    _cache_rows(query, now, stale=3, fresh=2)
    result = app.test_cli_runner().invoke(args=["feeds", "prune"])
    assert result.exit_code == 0, result.output
    assert "Feed cache: 3 removed." in result.output
    assert _cached_etags(query) == ["fresh-0", "fresh-1"]
    again = app.test_cli_runner().invoke(args=["feeds", "prune"])
    assert "Feed cache: 0 removed." in again.output
    assert app.test_cli_runner().invoke(args=["feeds", "prune", "--keep-days", "0"]).exit_code


def test_caching_a_feed_removes_a_bounded_number_of_stale_renderings(client, world, query):
    from app.calendar.services import PRUNE_BATCH

    now = dt.datetime.now(UTC)
    _cache_rows(query, now, stale=PRUNE_BATCH + 20, fresh=1)
    circle_id = world.circle(audience="public")
    client.get(f"/circles/{circle_id}/calendar.ics")  # rendered and cached: the oldest go
    etags = _cached_etags(query)
    assert {e for e in etags if e.startswith("stale-")} == {f"stale-{i}" for i in range(20)}
    assert "fresh-0" in etags
    assert len(etags) == 20 + 1 + 1  # the new rendering was kept
    client.get(f"/circles/{circle_id}/calendar.ics")  # served from the cache: no write
    assert len(_cached_etags(query)) == 22
    meeting = db_meetings(query, circle_id)[0]
    client.get(f"/meetings/{meeting.id}.ics")  # another feed cached: the rest go
    etags = _cached_etags(query)
    assert [e for e in etags if e.startswith("stale-")] == []
    assert len(etags) == 3


def test_a_feed_get_commits_once_at_the_boundary(client, world, monkeypatch):
    circle_id = world.circle(audience="public")
    commits = []
    monkeypatch.setattr(db.session, "commit", _counting(db.session.commit, commits))
    parse(client.get(f"/circles/{circle_id}/calendar.ics"))  # rendered and cached
    assert len(commits) == 1


def _counting(commit, calls: list):
    def counted():
        calls.append(1)
        return commit()

    return counted


def test_a_feed_is_served_when_another_request_cached_it_first(client, world, query, monkeypatch):
    """Two requests render the same feed at once; the second one's cache write loses (a
    unique race on PostgreSQL, a newer snapshot on SQLite): only that write is skipped."""
    from app.calendar import services

    render = services.render

    def render_while_another_request_caches(feed, links, now):
        body = render(feed, links, now)
        etag, _ = services.fingerprint(feed, links, now)
        with db.engine.connect() as other:
            other.execute(sa.insert(FeedCache).values(etag=etag, body=body, created_at=now))
            other.commit()
        return body

    monkeypatch.setattr(services, "render", render_while_another_request_caches)
    circle_id = world.circle(audience="public")
    response = client.get(f"/circles/{circle_id}/calendar.ics")
    parse(response)
    cached = query(lambda: list(db.session.scalars(sa.select(FeedCache.body))))
    assert cached == [response.data]
