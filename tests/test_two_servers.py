"""Past one machine: two app servers (gunicorn, 2 workers x 4 threads each, on different ports)
sharing one PostgreSQL database and one Redis, as two hosts behind a load balancer would.
Nothing that must hold across requests may live in one process:

- a booking race split across both servers still gives one booking (the control without the
  protection is tests/test_concurrency.py::test_without_the_protection_the_same_burst_double_books);
- a calendar feed changed through one server is fresh on the other (rendered feeds are cached in
  the database, keyed by a fingerprint of the rows: nothing to invalidate, nothing per process);
- failed sign-ins alternated between the servers hit the limit at its count (the control: with
  per-process ``memory://`` counters each server allows the whole limit);
- two ``flask outbox send`` processes at once send each message once (threads of one process:
  tests/test_outbox_claims.py).

PostgreSQL only: several hosts cannot share a SQLite file.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import re
import subprocess
import sys
from collections.abc import Iterator

import icalendar
import pytest
import redis
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from sqlalchemy.engine import make_url

from app.extensions import db
from app.models import FeedCache, Meeting
from app.timeutil import local_today
from tests.conftest import PASSWORD, make_app
from tests.live import ROOT, Client, burst, free_port, gunicorn, migrate, redis_server
from tests.mail import WAIT, Inbox, outbox_messages, queue_messages
from tests.test_concurrency import _active_bookings, _book, _overlaps, _seed, _seed_roster

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)

SERVER = {"workers": 2, "threads": 4}
SERVERS_NAME = "circles-two-servers"


@pytest.fixture(scope="module")
def server_pair(database_url) -> Iterator[tuple[str, str, str, str]]:
    """Servers A and B on the (migrated) database under test and one Redis, for the module."""
    # Named, so that their connections are told apart from the test process's own.
    named = make_url(database_url).update_query_dict({"application_name": SERVERS_NAME})
    served = named.render_as_string(hide_password=False)
    with (
        redis_server() as redis_url,
        gunicorn(served, ratelimit_storage=redis_url, **SERVER) as a,
        gunicorn(served, ratelimit_storage=redis_url, **SERVER) as b,
    ):
        yield database_url, a, b, redis_url


@pytest.fixture
def servers(server_pair) -> tuple[str, str, str]:
    """The database's address and servers A and B, with no rows and no sign-in counts."""
    url, a, b, redis_url = server_pair
    engine = sa.create_engine(url)
    names = ", ".join(f'"{table.name}"' for table in db.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
    engine.dispose()
    redis.Redis.from_url(redis_url).flushdb()
    return url, a, b


def test_a_booking_race_split_across_two_servers_gives_one_booking(servers):
    url, a, b = servers
    branch_id, room_id = _seed(url)
    day = local_today("America/New_York") + dt.timedelta(days=2)
    staff = Client(a)
    staff.login("staff@example.org", PASSWORD)  # the session works on both servers
    token = staff.csrf(f"/branches/{branch_id}/bookings/new")
    requests = 2 * SERVER["workers"] * SERVER["threads"]  # all in flight at once

    def send(i: int) -> int:
        client = Client(a if i % 2 else b, staff.cookie)  # half to each server
        return _book(client, token, branch_id, room_id, day, i)

    statuses = burst(send, requests)
    assert sorted(statuses) == [302] + [409] * (requests - 1), statuses
    bookings = _active_bookings(url)
    assert len(bookings) == 1
    assert _overlaps(bookings) == 0
    # At most one connection per request in flight (README, Production): the pools keep them.
    assert 0 < _server_connections(url) <= requests


def _server_connections(url: str) -> int:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        count = conn.execute(
            sa.text(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND application_name = :name"
            ),
            {"name": SERVERS_NAME},
        ).scalar_one()
    engine.dispose()
    return count


def _feed_events(client: Client, circle_id: int) -> tuple[str, dict[int, str]]:
    """The feed's ETag and each meeting's STATUS in it."""
    response = client.get(f"/circles/{circle_id}/calendar.ics")
    assert response.status == 200, response.status
    calendar = icalendar.Calendar.from_ical(response.text)
    statuses = {
        int(re.match(r"meeting-(\d+)@", str(e["UID"])).group(1)): str(e["STATUS"])
        for e in calendar.walk("VEVENT")
    }
    return response.headers["ETag"], statuses


def _cached_feeds(url: str) -> int:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        count = conn.execute(sa.select(sa.func.count()).select_from(FeedCache)).scalar_one()
    engine.dispose()
    return count


def test_a_feed_changed_through_one_server_is_fresh_on_the_other(servers):
    url, a, b = servers
    circle_id, _last = _seed_roster(url, capacity=10)
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        meeting_id = conn.execute(
            sa.select(Meeting.id).where(Meeting.circle_id == circle_id)
        ).scalar_one()
    engine.dispose()

    reader = Client(b)
    before, events = _feed_events(reader, circle_id)
    assert events == {meeting_id: "CONFIRMED"}
    assert _feed_events(reader, circle_id) == (before, events)  # B serves it from the cache...
    assert _cached_feeds(url) == 1  # ...which is a table, not B's memory

    lead = Client(a)
    lead.login("lead@example.org", PASSWORD)
    path = f"/meetings/{meeting_id}/cancel"
    response = lead.post(path, {"csrf_token": lead.csrf(path), "note": ""})
    assert response.status == 302, response.text[-800:]

    after, events = _feed_events(reader, circle_id)
    assert events == {meeting_id: "CANCELLED"}
    assert after != before
    assert _cached_feeds(url) == 2


def _alternated_failed_sign_ins(first: str, second: str, attempts: int) -> list[int]:
    clients = [Client(first), Client(second)]
    tokens = [client.csrf("/login") for client in clients]
    statuses = []
    for i in range(attempts):
        client, token = clients[i % 2], tokens[i % 2]
        form = {"email": "nobody@example.org", "password": f"wrong {i}", "csrf_token": token}
        statuses.append(client.post("/login", form).status)
    return statuses


def test_failed_sign_ins_alternated_between_servers_hit_the_limit_at_its_count(servers):
    _url, a, b = servers
    statuses = _alternated_failed_sign_ins(a, b, 12)
    assert statuses == [200] * 10 + [429] * 2  # LOGIN_LIMITS: 10 a minute per account


def test_per_process_counters_let_each_server_allow_the_whole_limit(fresh_database_url):
    """The control: with ``memory://`` (one worker each, which gunicorn.conf.py allows) every
    server keeps its own count, and twice the limit gets through."""
    migrate(fresh_database_url)
    alone = {"workers": 1, "threads": 4, "ratelimit_storage": "memory://"}
    with gunicorn(fresh_database_url, **alone) as a, gunicorn(fresh_database_url, **alone) as b:
        statuses = _alternated_failed_sign_ins(a, b, 12)
    assert statuses == [200] * 12


class SlowInbox(Inbox):
    """Takes no message until two senders have connected, then one every 20 ms: both
    senders are certain to be at work at the same time."""

    def __init__(self) -> None:
        super().__init__()
        self.senders: set[int] = set()

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        self.senders.add(id(session))
        session.host_name = hostname
        return responses

    async def handle_DATA(self, server, session, envelope):
        for _ in range(WAIT * 100):
            if len(self.senders) >= 2:
                break
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.02)
        return await super().handle_DATA(server, session, envelope)


def test_two_outbox_senders_on_two_hosts_send_each_message_once(fresh_database_url, tmp_path):
    migrate(fresh_database_url)
    app = make_app(fresh_database_url, tmp_path)
    count = 30
    queue_messages(
        app, *((f"p{n}@example.org", f"Message {n}", "Hello", None) for n in range(count))
    )
    inbox = SlowInbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DATABASE_URL": fresh_database_url,
        "SECRET_KEY": "live-test-secret-key",
        "BASE_URL": "http://127.0.0.1",
        "MAIL_BACKEND": "smtp",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(controller.port),
    }
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "outbox", "send"]
    try:
        senders = [
            subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
            for _ in range(2)
        ]
        outputs = [sender.communicate(timeout=WAIT * 3)[0] for sender in senders]
    finally:
        controller.stop()
    assert [sender.returncode for sender in senders] == [0, 0], outputs
    sent = [int(re.search(r"Outbox: (\d+) sent, 0 failed", out).group(1)) for out in outputs]
    assert sum(sent) == count, outputs
    assert min(sent) > 0, outputs  # both really worked at once
    subjects = sorted(message["Subject"] for _rcpt, message in inbox.messages)
    assert subjects == sorted(f"Message {n}" for n in range(count))
    assert all(m.sent_at is not None and m.attempts == 1 for m in outbox_messages(app))
    with app.app_context():
        db.engine.dispose()
