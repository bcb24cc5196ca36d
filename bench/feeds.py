"""Benchmark: a branch feed of 5,000 meetings.

Prints the time to build it through the app's feed code against the floor (the same
events serialised with bare icalendar code from plain tuples, no database), the time of
a repeat request served from the feed cache, and of a 304 answer. Run: make bench.
"""

from __future__ import annotations

import sys

if not __package__:  # `python bench/feeds.py`: bench/http.py would hide the stdlib's http
    sys.path.pop(0)

import datetime as dt
import statistics
import tempfile
import time
from pathlib import Path

from icalendar import Calendar, Event

from app import create_app
from app.calendar import services
from app.extensions import db
from app.links import feed_links as links
from app.models import Branch, Circle, Course, Facilitation, Meeting, Room, User

MEETINGS = 5000
CIRCLES = 100


def seed(app) -> Branch:
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        branch = Branch(name="Main Library", slug="main", timezone="America/New_York")
        room = Room(branch=branch, name="Lab", capacity=20, features=[])
        lead = User(email="lead@example.org", name="Lena Lead", is_facilitator=True)
        course = Course(
            title="Grant Writing",
            provider="NNLM",
            url="https://example.org",
            skill_area="grant_writing",
        )
        start = dt.datetime(2027, 1, 4, 23, tzinfo=dt.UTC)
        per_circle = MEETINGS // CIRCLES
        for c in range(CIRCLES):
            circle = Circle(
                title=f"Circle {c}, with commas; and “quotes”",
                course=course,
                branch=branch,
                room=room,
                timezone="America/New_York",
                capacity=12,
                audience="public",
                status="published",
                facilitations=[Facilitation(user=lead, role="lead")],
            )
            circle.meetings = [
                Meeting(
                    starts_at=start + dt.timedelta(days=7 * m, minutes=c),
                    ends_at=start + dt.timedelta(days=7 * m, minutes=c + 90),
                    status="scheduled",
                )
                for m in range(per_circle)
            ]
            db.session.add(circle)
        db.session.commit()
        return branch.id


def floor_render(rows) -> bytes:
    """Bare icalendar: the same properties from plain tuples."""
    calendar = Calendar()
    calendar.add("prodid", "-//bench//EN")
    calendar.add("version", "2.0")
    for uid, stamp, seq, start, end, summary, location, description, url in rows:
        event = Event()
        event.add("uid", uid)
        event.add("dtstamp", stamp)
        event.add("last-modified", stamp)
        event.add("created", stamp)
        event.add("sequence", seq)
        event.add("dtstart", start)
        event.add("dtend", end)
        event.add("summary", summary)
        event.add("location", location)
        event.add("description", description)
        event.add("url", url)
        event.add("status", "CONFIRMED")
        calendar.add_component(event)
    return calendar.to_ical()


def best_of(fn, runs=3) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.sqlite'}"
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": url,
                "SECRET_KEY": "bench",
                "SERVER_NAME": "bench.test",
                "BASE_URL": "http://bench.test",
            }
        )
        branch_id = seed(app)
        with app.test_request_context():
            branch = db.session.get(Branch, branch_id)
            feed = services.branch_feed(branch)
            now = dt.datetime(2027, 1, 1, tzinfo=dt.UTC)
            rows = [
                (
                    f"meeting-{m.id}@bench.test",
                    m.updated_at,
                    m.sequence,
                    m.starts_at,
                    m.ends_at,
                    m.circle.title,
                    "Main Library, Lab",
                    "Course: Grant Writing (NNLM)\nFacilitators: Lena Lead\nhttps://bench.test/c",
                    "https://bench.test/c",
                )
                for m in db.session.scalars(db.select(Meeting))
            ]
            floor = best_of(lambda: floor_render(rows))
            full = best_of(lambda: services.render(feed, links(), now))
            etag, _ = services.fingerprint(feed, links(), now)
            services.cached_render(feed, etag, links(), now)
            cached = best_of(lambda: services.cached_render(feed, etag, links(), now), runs=5)
        client = app.test_client()
        first = client.get(f"/circles/{1}/calendar.ics")
        path = "/circles/1/calendar.ics"
        tag = first.headers["ETag"]
        not_modified = statistics.median(
            best_of(lambda: client.get(path, headers={"If-None-Match": tag}), runs=1)
            for _ in range(20)
        )
    print(f"branch feed, {MEETINGS} meetings")
    print(f"  floor (bare icalendar, no database): {floor * 1000:8.1f} ms")
    print(f"  app render (query + build):          {full * 1000:8.1f} ms", end="")
    print(f"   ratio {full / floor:.2f}x (target <= 1.5x)")
    print(f"  repeat request, served from cache:   {cached * 1000:8.1f} ms", end="")
    print(f"   ratio {cached / floor:.3f}x")
    print(f"  304 Not Modified (whole request):    {not_modified * 1000:8.1f} ms")


if __name__ == "__main__":
    main()
