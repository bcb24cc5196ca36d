"""Credential renewal (issue 14): the admin gives a credential a renewal period and the CE hours
renewing asks for; a person's credential lapses that many months after it was earned unless a
later one renewed it; the learning record (page and CSV) shows where each stands and the CE
hours earned since; ``flask reminders send`` reminds its holder once per lapse date, over real
SMTP, never for lapsed, renewed or never-lapsing ones, and once with two senders at once."""

from __future__ import annotations

import datetime as dt
import html
import threading
import time
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from dateutil.relativedelta import relativedelta

from app.attendance import notifications, renewals
from app.extensions import db
from app.labels import when
from app.models import Circle, Course, Credential, CredentialReminder, Enrollment, Outcome, User
from app.records.services import build_record
from app.timeutil import local_today, utcnow
from tests.conftest import login
from tests.factories import Builder
from tests.mail import outbox_messages, send_outbox

ZONE = "America/New_York"  # Pat's
CHIS, WEB, FOREVER = "NNLM CHIS Level 1", "WebJunction certificate", "Library card"


def text(response) -> str:
    return html.unescape(response.text)


def earned(days_left: int, months: int) -> dt.date:
    """The day to have earned a credential renewing every ``months`` that lapses in
    ``days_left`` days (negative: lapsed that long ago)."""
    return local_today(ZONE) + dt.timedelta(days=days_left) - relativedelta(months=months)


def days_until(achieved: dt.date, months: int) -> int:
    return (achieved + relativedelta(months=months) - local_today(ZONE)).days


# --- the dates -------------------------------------------------------------------------------


@dataclass
class Line:
    outcome_id: int
    credential_id: int | None
    achieved_on: dt.date
    ce_hours: Decimal | None = None
    renewal_months: int | None = 12
    renewal_ce_hours: Decimal | None = None
    own: bool = True


@pytest.mark.parametrize(
    ("achieved", "months", "lapses"),
    [
        ("2025-01-31", 1, "2025-02-28"),  # no 31 February: the month's last day
        ("2024-01-31", 1, "2024-02-29"),  # a leap year
        ("2025-08-31", 1, "2025-09-30"),
        ("2024-02-29", 12, "2025-02-28"),
        ("2025-03-15", 36, "2028-03-15"),
        ("2025-12-31", 120, "2035-12-31"),
    ],
)
def test_a_credential_lapses_the_same_day_months_later_or_that_months_last_day(
    achieved, months, lapses
):
    day = dt.date.fromisoformat(achieved)
    assert renewals.lapse_date(day, months) == dt.date.fromisoformat(lapses)


def test_standing_renewal_supersedes_and_ce_hours_since_earned():
    today = dt.date(2026, 3, 1)
    held = [
        Line(1, 7, dt.date(2025, 1, 31), renewal_months=1),  # lapsed 2025-02-28, renewed
        Line(2, 7, dt.date(2025, 4, 10), Decimal(12), renewal_months=12, renewal_ce_hours=10),
        Line(3, None, dt.date(2025, 4, 10), Decimal(5)),  # the same day: not since
        Line(4, None, dt.date(2025, 6, 1), Decimal("3.25")),
        Line(5, None, dt.date(2026, 4, 10), Decimal(9)),  # after it lapses: not within
        Line(6, 8, dt.date(2025, 2, 1), renewal_months=12),  # lapsed 2026-02-01
        Line(7, 9, dt.date(2025, 1, 1), renewal_months=None),  # never lapses
        Line(8, 8, dt.date(2024, 1, 1), renewal_months=12, own=False),  # the circle's
    ]
    found = renewals.standings(held, today, soon=60)
    assert set(found) == {1, 2, 6}
    assert found[1].state == "renewed"
    assert found[1].renewed_on == dt.date(2025, 4, 10)
    renewed = found[2]
    assert (renewed.lapses_on, renewed.days_left, renewed.state) == (
        dt.date(2026, 4, 10),
        40,
        "lapsing",
    )
    assert (renewed.ce_earned, renewed.ce_required, renewed.ce_missing) == (
        Decimal("3.25"),
        10,
        Decimal("6.75"),
    )
    assert (found[6].state, found[6].days_left) == ("lapsed", -28)
    assert renewals.standings(held, today, soon=30)[2].state == "valid"
    assert renewals.standings(held, dt.date(2026, 4, 9), soon=60)[2].days_left == 1
    assert renewals.standings(held, dt.date(2026, 4, 10), soon=60)[2].state == "lapsed"


# --- the admin's list ------------------------------------------------------------------------


def renewal_of(query, name: str = CHIS) -> tuple:
    return query(
        lambda: db.session.execute(
            sa.select(Credential.renewal_months, Credential.renewal_ce_hours).filter_by(name=name)
        ).one()
    )


def test_admin_sets_a_renewal_period_and_bad_values_change_nothing(client, world, query):
    login(client, "admin@example.org")
    base = {"name": CHIS, "kind": "credential", "awarding_body": "MLA", "ce_hours": "12"}
    page = text(client.get("/credentials/new"))
    assert "Renewal period in months" in page
    assert "CE hours to renew" in page
    response = client.post(
        "/credentials/new", data=base | {"renewal_months": "36", "renewal_ce_hours": "12"}
    )
    assert response.status_code == 302
    assert renewal_of(query) == (36, Decimal(12))
    assert "renews every 3 years · 12 CE hours" in text(client.get("/credentials/"))
    chis = query(lambda: db.session.scalar(sa.select(Credential.id)))
    edit = f"/credentials/{chis}/edit"
    page = text(client.get(edit))
    assert 'value="36"' in page

    for bad, field, message in [
        ({"renewal_months": "abc"}, "renewal_months", "Enter whole months from 1 to 120, like 36."),
        ({"renewal_months": "1.5"}, "renewal_months", "Enter whole months from 1 to 120, like 36."),
        ({"renewal_months": "-3"}, "renewal_months", "Enter whole months from 1 to 120, like 36."),
        ({"renewal_months": "0"}, "renewal_months", "Enter whole months from 1 to 120, like 36."),
        ({"renewal_months": "121"}, "renewal_months", "Enter whole months from 1 to 120, like 36."),
        ({"renewal_months": "99999"}, "renewal_months", "Enter whole months from 1 to 120"),
        ({"renewal_ce_hours": "-1"}, "renewal_ce_hours", "Enter hours between 0 and 1000."),
        ({"renewal_ce_hours": "1.234"}, "renewal_ce_hours", "Use at most two decimal places."),
        ({"renewal_ce_hours": "lots"}, "renewal_ce_hours", "Enter a number"),
        (
            {"renewal_months": "", "renewal_ce_hours": "12"},
            "renewal_ce_hours",
            "Enter the renewal period too: the CE hours are earned within it.",
        ),
    ]:
        data = base | {"name": "Changed", "renewal_months": "24", "renewal_ce_hours": "6"} | bad
        response = client.post(edit, data=data)
        assert response.status_code == 200, bad
        assert f'<p class="error" id="{field}-error">{message}' in text(response), bad
        assert renewal_of(query) == (36, Decimal(12)), bad
        assert query(lambda: db.session.get(Credential, chis).name) == CHIS, bad

    client.post(edit, data=base | {"renewal_months": "18", "renewal_ce_hours": ""})
    assert renewal_of(query) == (18, None)
    assert "renews every 18 months" in text(client.get("/credentials/"))
    client.post(edit, data=base | {"renewal_months": "12", "renewal_ce_hours": "0.5"})
    assert "renews every year · 0.5 CE hours" in text(client.get("/credentials/"))
    client.post(edit, data=base)  # both left empty: it never lapses
    assert renewal_of(query) == (None, None)
    assert "never lapses" in text(client.get("/credentials/"))


# --- a record with credentials that lapse ----------------------------------------------------


@dataclass
class Scene:
    pat: int
    pat_place: int
    circle: int
    renewed: int  # Pat's first CHIS, renewed by the second
    lapsing: int  # Pat's second CHIS: lapses in 20 days
    lapsed: int  # Pat's WebJunction certificate: lapsed 10 days ago
    forever: int  # never lapses
    guest: int  # a guest's CHIS: lapses in 5 days
    far: int  # Ann's CHIS: lapses in 90 days


def _credential(name: str, kind: str, months: int | None, hours=None) -> Credential:
    credential = Credential(
        name=name, kind=kind, renewal_months=months, renewal_ce_hours=hours, ce_hours=None
    )
    db.session.add(credential)
    return credential


def _outcome(circle, place, credential, achieved: dt.date, **fields) -> int:
    """A confirmed outcome (unless ``status`` says otherwise) naming ``credential``, or else a
    certificate titled ``title``."""
    outcome = Outcome(
        circle=circle,
        enrollment=place,
        kind=credential.kind if credential else "certificate",
        credential=credential,
        title=credential.name if credential else fields.pop("title"),
        achieved_on=achieved,
        status=fields.pop("status", "confirmed"),
        **fields,
    )
    db.session.add(outcome)
    db.session.flush()
    return outcome.id


def build_scene(app, world, factory) -> Scene:
    ann = factory.user("ann@example.org", name="Ann Able")
    with app.app_context():
        make = Builder("ren")
        course = db.session.get(Course, world.course)
        pat = db.session.get(User, world.participant)
        circle, _, _ = make.circle(world.branch, course, status="completed")
        circle.title = "Health information circle"
        places = {
            email: Enrollment(
                circle=circle,
                name=name,
                email=email,
                status="completed",
                completed_at=utcnow(),
                user_id=user_id,
            )
            for email, name, user_id in [
                ("pat@example.org", "Pat", pat.id),
                ("ann@example.org", "Ann Able", ann),
                ("gus@example.org", "Gus Guest", None),
            ]
        }
        db.session.add_all(places.values())
        chis = _credential(CHIS, "credential", 36, Decimal(12))
        web = _credential(WEB, "certificate", 12)
        forever = _credential(FOREVER, "certificate", None)
        db.session.flush()
        pat_place = places["pat@example.org"]
        first = earned(20, 36) - relativedelta(months=36)
        scene = Scene(
            pat=pat.id,
            pat_place=pat_place.id,
            circle=circle.id,
            renewed=_outcome(circle, pat_place, chis, first),
            lapsing=_outcome(circle, pat_place, chis, earned(20, 36), ce_hours=Decimal(12)),
            lapsed=_outcome(circle, pat_place, web, earned(-10, 12)),
            forever=_outcome(circle, pat_place, forever, earned(5, 12)),
            guest=_outcome(circle, places["gus@example.org"], chis, earned(5, 36)),
            far=_outcome(circle, places["ann@example.org"], chis, earned(90, 36)),
        )
        # CE hours: since Pat's second CHIS, 3.5 confirmed; not those before, nor unconfirmed.
        since = earned(20, 36)
        for days, hours, status in [
            (3, "3.5", "confirmed"),
            (-3, "4", "confirmed"),
            (5, "6", "reported"),
        ]:
            _outcome(
                circle,
                pat_place,
                None,
                since + dt.timedelta(days=days),
                title=f"Course certificate {days}",
                ce_hours=Decimal(hours),
                status=status,
            )
        db.session.commit()
        return scene


@pytest.fixture
def scene(app, world, factory) -> Scene:
    return build_scene(app, world, factory)


def test_the_record_shows_when_each_credential_lapses_and_the_ce_hours_since(app, client, scene):
    login(client, "pat@example.org")
    page = text(client.get("/me/record"))
    second = earned(20, 36)
    first = second - relativedelta(months=36)
    lapsing, lapsed = second + relativedelta(months=36), earned(-10, 12) + relativedelta(months=12)
    with app.test_request_context():
        lapsing_on, lapsed_on, renewed_on = (
            when(d, None, "date") for d in (lapsing, lapsed, second)
        )
    days = days_until(second, 36)
    assert days == 20
    assert f"Lapses in {days} days, on {lapsing_on}" in page
    assert "CE hours since earned: 3.5 of 12" in page
    assert f"Lapsed on {lapsed_on}" in page
    assert f"Renewed on {renewed_on}" in page
    assert page.count("Valid until") == 0  # the one that never lapses says nothing of it
    assert page.count('class="standing ') == 3

    lines = client.get("/me/record.csv").text.lstrip("\ufeff").splitlines()
    assert lines[0].endswith(",Lapses on,Standing,CE hours since earned,CE hours to renew")
    width = len(lines[0].split(","))
    chis = [line for line in lines if line.startswith(f"Credential,{CHIS},")]
    assert sorted(line.split(",")[-4:] for line in chis) == sorted(
        [
            [lapsing.isoformat(), "lapsing soon", "3.50", "12.00"],
            [(first + relativedelta(months=36)).isoformat(), "renewed", "", ""],
        ]
    )
    web = next(line for line in lines if line.startswith(f"Certificate,{WEB},"))
    assert web.split(",")[-4:-2] == [lapsed.isoformat(), "lapsed"]
    forever = next(line for line in lines if line.startswith(f"Certificate,{FOREVER},"))
    assert forever.split(",")[-4:] == ["", "", "", ""]
    assert all(len(line.split(",")) == width for line in lines if '"' not in line)


def test_today_is_the_persons_own(app, client, scene):
    """Pat in Kiritimati (UTC+14) is most of a day ahead of New York."""
    with app.app_context():
        db.session.get(User, scene.pat).timezone = "Pacific/Kiritimati"
        db.session.commit()
        now = utcnow()
        record = build_record(db.session.get(User, scene.pat), now)
        there = now.astimezone(ZoneInfo("Pacific/Kiritimati")).date()
        expected = (renewals.lapse_date(earned(20, 36), 36) - there).days
        lapsing = next(o for o in record.credentials if o.outcome_id == scene.lapsing)
        assert lapsing.standing.days_left == expected


# --- reminders -------------------------------------------------------------------------------


def reminders_send(app) -> str:
    result = app.test_cli_runner().invoke(args=["reminders", "send"])
    assert result.exit_code == 0, result.output
    return result.output


def reminded(query) -> list[tuple[int, dt.date]]:
    return query(  # rows as (outcome id, lapse date) tuples
        lambda: db.session.execute(
            sa.select(CredentialReminder.outcome_id, CredentialReminder.lapses_on).order_by(
                CredentialReminder.outcome_id
            )
        ).all()
    )


def test_reminders_reach_the_holder_over_smtp_once_per_lapse_date(app, scene, query, inbox):
    output = reminders_send(app)
    assert "Reminders: 0 queued." in output  # the meeting reminders, as before
    assert "Credentials lapsing soon: 2 reminded." in output  # Pat's CHIS and the guest's
    assert [o for o, _ in reminded(query)] == sorted([scene.lapsing, scene.guest])
    assert "2 sent, 0 failed" in send_outbox(app)
    by_address = {rcpt[0]: message for rcpt, message in inbox.messages}
    assert set(by_address) == {"pat@example.org", "gus@example.org"}
    pat = by_address["pat@example.org"]
    assert pat["Subject"] == f"“{CHIS}” lapses soon"
    body = pat.get_body(("plain",)).get_content()
    assert "Hello Pat," in body
    assert f"lapses in {days_until(earned(20, 36), 36)} days" in body
    assert "Renewing it asks for 12 CE hours earned since then; 3.5 are recorded so far." in body
    assert f"{app.config['BASE_URL']}/me/record" in body
    guest = by_address["gus@example.org"].get_body(("plain",)).get_content()
    assert "Hello Gus Guest," in guest
    assert "lapses in 5 days" in guest
    assert "/me/record" not in guest  # a guest has no record to sign in to

    # A second run (and a third) sends nothing more.
    assert "Credentials lapsing soon: 0 reminded." in reminders_send(app)
    assert "Credentials lapsing soon: 0 reminded." in reminders_send(app)
    assert len(outbox_messages(app)) == 2

    # Ann's, 90 days off, is reminded once the setting reaches it.
    app.config["CREDENTIAL_REMINDER_DAYS"] = 100
    try:
        assert "Credentials lapsing soon: 1 reminded." in reminders_send(app)
    finally:
        app.config["CREDENTIAL_REMINDER_DAYS"] = 60
    assert [m.to for m in outbox_messages(app)][-1] == "ann@example.org"

    # A new lapse date (the admin lengthens the period by a month) is reminded afresh.
    def lengthen():
        chis = db.session.scalar(sa.select(Credential).filter_by(name=CHIS))
        chis.renewal_months = 37
        db.session.commit()

    query(lengthen)
    # The guest's lapses in about 35 days now: a second reminder, for the new date; Pat's
    # (about 50 days) too.
    assert "Credentials lapsing soon: 2 reminded." in reminders_send(app)
    assert len(reminded(query)) == 5


def test_no_reminder_for_lapsed_never_lapsing_renewed_or_inactive(app, scene, query):
    def renew_and_retire():
        circle = db.session.get(Circle, scene.circle)
        place = db.session.get(Enrollment, scene.pat_place)
        chis = db.session.scalar(sa.select(Credential).filter_by(name=CHIS))
        _outcome(circle, place, chis, local_today(ZONE))  # Pat renewed today
        db.session.scalar(sa.select(User).filter_by(email="ann@example.org")).active = False
        db.session.commit()

    query(renew_and_retire)
    app.config["CREDENTIAL_REMINDER_DAYS"] = 100  # Ann's would be due, but she has left
    try:
        assert "Credentials lapsing soon: 1 reminded." in reminders_send(app)
    finally:
        app.config["CREDENTIAL_REMINDER_DAYS"] = 60
    assert [o for o, _ in reminded(query)] == [scene.guest]
    assert [m.to for m in outbox_messages(app)] == ["gus@example.org"]


def test_two_senders_at_once_remind_each_credential_once(
    app, world, factory, database_url, monkeypatch
):
    """Both senders find the same credentials due; the reminders each records first make the
    later one pass by (on PostgreSQL it waits for the first to commit, then finds them
    taken; on SQLite the second waits at the write lock and finds them sent)."""
    people = [f"holder{n}@example.org" for n in range(6)]
    users = [factory.user(email) for email in people]
    with app.app_context():
        make = Builder("two")
        circle, _, _ = make.circle(
            world.branch, db.session.get(Course, world.course), status="completed"
        )
        chis = _credential(CHIS, "credential", 36)
        for email, user_id in zip(people, users, strict=True):
            user = db.session.get(User, user_id)
            place = Enrollment(
                circle=circle,
                name=user.name,
                email=email,
                status="completed",
                completed_at=utcnow(),
                user_id=user.id,
            )
            db.session.add(place)
            _outcome(circle, place, chis, earned(30, 36))
        db.session.commit()

    queue = notifications.credential_lapsing

    def slow(*args, **kwargs):  # each email takes a moment while the transaction is open
        queue(*args, **kwargs)
        time.sleep(0.05)

    monkeypatch.setattr(notifications, "credential_lapsing", slow)
    found_due: list[int] = []
    due = renewals._due

    def counting_due(*args):
        result = due(*args)
        found_due.append(len(result))
        return result

    monkeypatch.setattr(renewals, "_due", counting_due)
    start = threading.Barrier(2)
    queued: list[int] = []
    errors: list[BaseException] = []
    now = utcnow()

    def sender() -> None:
        try:
            with app.app_context():
                start.wait()
                queued.append(renewals.send_reminders(now))
                db.session.commit()
                db.session.remove()
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert sorted(queued) == [0, len(people)]
    if database_url.startswith("postgresql"):
        assert found_due == [len(people), len(people)]  # both raced for every one of them
    assert sorted(m.to for m in outbox_messages(app)) == sorted(people)


# --- the demo --------------------------------------------------------------------------------


def test_the_demo_has_a_chis_lapsing_soon_and_one_lapsed(app, demo, query):
    assert renewal_of(query) == (36, Decimal(12))
    output = reminders_send(app)
    assert "Credentials lapsing soon: 1 reminded." in output
    assert [m.to for m in outbox_messages(app) if "lapses soon" in m.subject] == [
        "staff07@example.org"
    ]

    def lapsed():
        hannah = db.session.scalar(sa.select(User).filter_by(email="staff08@example.org"))
        return [o.standing.state for o in build_record(hannah, utcnow()).credentials]

    assert query(lapsed) == ["lapsed"]
    again = app.test_cli_runner().invoke(args=["demo", "load"])
    assert "Demo data already present." in again.output
