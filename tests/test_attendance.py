"""Attendance sheets, self check-in, "my attendance", completion, outcomes and the CSV export."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
from decimal import Decimal

import pytest
import sqlalchemy as sa

from app.attendance import completion, services
from app.attendance import outcomes as outcome_rules
from app.extensions import db
from app.models import (
    Attendance,
    AttendanceChange,
    AttendanceSheet,
    AuditEvent,
    Circle,
    Credential,
    Enrollment,
    Meeting,
    Outcome,
    User,
)
from app.rules import RuleViolation
from app.timeutil import utcnow
from tests.conftest import login
from tests.factories import OTHER_FACILITATOR, AttendanceSetting, enroll, set_times

LEAD, CO, MANAGER, ADMIN = (
    "lead@example.org",
    "co@example.org",
    "boss@example.org",
    "admin@example.org",
)
PARTICIPANT, OTHER_MANAGER = "pat@example.org", "far@example.org"
EDITORS = [LEAD, CO, MANAGER, ADMIN]
OUTSIDERS = [PARTICIPANT, OTHER_FACILITATOR, OTHER_MANAGER]


def page_text(response) -> str:
    return html.unescape(response.text)


def stored_marks(query, meeting_id: int) -> dict[int, str]:
    return query(
        lambda: dict(
            db.session.execute(
                sa.select(Attendance.enrollment_id, Attendance.status).where(
                    Attendance.meeting_id == meeting_id
                )
            ).all()
        )
    )


def changes(query) -> list[tuple[int, str | None, str, int | None]]:
    """(enrollment, old, new, changed by) of every history row, oldest first."""
    return query(
        lambda: [
            (a.enrollment_id, c.old_status, c.new_status, c.changed_by_id)
            for c, a in db.session.execute(
                sa.select(AttendanceChange, Attendance)
                .join(Attendance, Attendance.id == AttendanceChange.attendance_id)
                .order_by(AttendanceChange.id)
            )
        ]
    )


def count(query, model) -> int:
    return query(lambda: db.session.scalar(sa.select(sa.func.count()).select_from(model)))


def sheet_data(setting: AttendanceSetting, **overrides) -> dict:
    data = {
        f"mark-{setting.pat}": "present",
        f"mark-{setting.ann}": "absent",
        f"mark-{setting.bob}": "excused",
        "walk_ins": "3",
        "note": "Projector broke; we used the whiteboard.",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


# --- the attendance sheet ----------------------------------------------------------------------


def test_facilitator_takes_attendance_in_one_request(client, world, setting, query):
    meeting = setting.meetings[0]
    login(client, LEAD)
    page = page_text(client.get(f"/circles/{setting.circle}"))
    assert f"/meetings/{meeting}/attendance" in page
    assert f"/meetings/{setting.meetings[1]}/attendance" not in page  # not started yet

    page = page_text(client.get(f"/meetings/{meeting}/attendance"))
    assert "Mark all present" in page
    for name in ("Pat", "Ann Able", "Bob Baker"):
        assert f"<legend>{name}</legend>" in page
    assert "Wes Waiting" not in page  # the waitlist is not on the sheet
    assert count(query, Attendance) == 0

    response = client.post(f"/meetings/{meeting}/attendance", data=sheet_data(setting))
    assert response.status_code == 302
    assert stored_marks(query, meeting) == {
        setting.pat: "present",
        setting.ann: "absent",
        setting.bob: "excused",
    }
    sheet = query(lambda: db.session.get(AttendanceSheet, meeting))
    assert (sheet.walk_ins, sheet.note, sheet.updated_by_id) == (
        3,
        "Projector broke; we used the whiteboard.",
        world.lead,
    )
    assert changes(query) == [
        (setting.pat, None, "present", world.lead),
        (setting.ann, None, "absent", world.lead),
        (setting.bob, None, "excused", world.lead),
    ]
    page = page_text(client.get(response.headers["Location"]))
    assert "Attendance saved (3 marks changed)." in page
    assert 'value="absent" checked' in page  # the saved sheet opens as saved
    assert 'value="3"' in page


def test_correction_keeps_history_and_unchanged_marks_write_nothing(client, world, setting, query):
    meeting = setting.meetings[0]
    login(client, LEAD)
    client.post(f"/meetings/{meeting}/attendance", data=sheet_data(setting))
    client.post(f"/meetings/{meeting}/attendance", data=sheet_data(setting))  # same again
    assert len(changes(query)) == 3

    client.post("/logout")
    login(client, CO)
    response = client.post(
        f"/meetings/{meeting}/attendance",
        data=sheet_data(setting, **{f"mark-{setting.ann}": "present"}),
        follow_redirects=True,
    )
    assert "Attendance saved (1 mark changed)." in page_text(response)
    assert changes(query)[3:] == [(setting.ann, "absent", "present", world.co)]
    assert stored_marks(query, meeting)[setting.ann] == "present"
    page = page_text(client.get(f"/meetings/{meeting}/attendance"))
    assert "Ann Able: Absent → Present (Cole Co)" in page


def test_mark_all_present_without_javascript_saves_nothing(client, setting, query):
    meeting = setting.meetings[0]
    login(client, LEAD)
    shown = '">Not saved yet — change anyone who is not present'  # the notice's text, not its data
    assert shown not in page_text(client.get(f"/meetings/{meeting}/attendance"))
    data = {"mark_all": "1", "walk_ins": "2", "note": "Rainy day"}
    page = page_text(client.post(f"/meetings/{meeting}/attendance", data=data))
    assert shown in page
    assert page.count('value="present" checked') == 3
    assert 'name="walk_ins"' in page
    assert 'value="2"' in page  # what was typed stays for the save
    assert "Rainy day" in page
    assert count(query, Attendance) == 0
    assert count(query, AttendanceSheet) == 0


@pytest.mark.parametrize(
    ("walk_ins", "message"),
    [
        ("-1", "Enter a number of walk-ins between 0 and 1000."),
        ("1001", "Enter a number of walk-ins between 0 and 1000."),
        ("99999999999999999999999", "Enter a number of walk-ins between 0 and 1000."),
        ("three", "Not a valid integer value."),
        ("2.5", "Not a valid integer value."),
    ],
)
def test_bad_walk_ins_are_refused_beside_the_field(client, setting, query, walk_ins, message):
    login(client, LEAD)
    response = client.post(
        f"/meetings/{setting.meetings[0]}/attendance", data=sheet_data(setting, walk_ins=walk_ins)
    )
    assert response.status_code == 200
    page = page_text(response)
    assert f'<p class="error" id="walk_ins-error">{message}</p>' in page
    assert 'value="excused" checked' in page  # what was entered is still there
    assert count(query, Attendance) == 0
    assert count(query, AttendanceSheet) == 0


def test_tampered_sheets_are_refused_and_save_nothing(app, client, world, setting, query):
    other_circle = world.circle(audience="public", lead=world.co, start_time=dt.time(10))
    stranger = enroll(app, other_circle, "Stranger", "stranger@example.org")
    login(client, LEAD)
    url = f"/meetings/{setting.meetings[0]}/attendance"
    for tampered in (
        {f"mark-{stranger}": "present"},  # enrolled in another circle
        {f"mark-{setting.wes}": "present"},  # on the waitlist
        {"mark-x": "present"},
        {"mark-999999": "present"},
    ):
        page = page_text(client.post(url, data=sheet_data(setting, **tampered)))
        assert "Someone on this sheet is not enrolled in this circle." in page
    page = page_text(client.post(url, data=sheet_data(setting, **{f"mark-{setting.ann}": "late"})))
    assert "Mark each person present, absent or excused." in page
    assert count(query, Attendance) == 0
    assert count(query, AttendanceSheet) == 0


def test_a_meeting_not_started_or_cancelled_is_refused(app, client, setting, query):
    login(client, LEAD)
    future = setting.meetings[1]
    page = page_text(client.get(f"/meetings/{future}/attendance"))
    assert "Attendance can be taken once the meeting has started." in page
    assert "Save attendance" not in page
    page = page_text(client.post(f"/meetings/{future}/attendance", data=sheet_data(setting)))
    assert "Attendance can be taken once the meeting has started." in page
    with app.app_context():
        db.session.get(Meeting, setting.meetings[0]).status = "cancelled"
        db.session.commit()
    past_cancelled = setting.meetings[0]
    page = page_text(
        client.post(f"/meetings/{past_cancelled}/attendance", data=sheet_data(setting))
    )
    assert "This meeting was cancelled: there is no attendance to take." in page
    assert count(query, Attendance) == 0
    assert count(query, AttendanceSheet) == 0


def test_completed_people_stay_on_the_sheet(app, client, setting, query):
    with app.app_context():
        db.session.get(Enrollment, setting.bob).status = "completed"
        db.session.get(Enrollment, setting.ann).status = "withdrawn"
        db.session.commit()
    login(client, LEAD)
    page = page_text(client.get(f"/meetings/{setting.meetings[0]}/attendance"))
    assert "<legend>Bob Baker</legend>" in page
    assert "Ann Able" not in page


@pytest.mark.parametrize("email", EDITORS)
def test_facilitators_managers_and_admins_take_attendance(client, setting, query, email):
    login(client, email)
    url = f"/meetings/{setting.meetings[0]}/attendance"
    assert client.get(url).status_code == 200
    assert client.post(url, data=sheet_data(setting)).status_code == 302
    assert len(stored_marks(query, setting.meetings[0])) == 3


@pytest.mark.parametrize("email", OUTSIDERS)
def test_others_may_not_see_or_record_attendance(client, world, setting, query, email):
    login(client, email)
    circle, meeting = setting.circle, setting.meetings[0]
    refused = [
        ("GET", f"/meetings/{meeting}/attendance", {}),
        ("POST", f"/meetings/{meeting}/attendance", sheet_data(setting)),
        ("GET", f"/circles/{circle}/attendance.csv", {}),
        ("GET", f"/circles/{circle}/completions", {}),
        ("POST", f"/circles/{circle}/completions", {"completed": [setting.pat]}),
        ("GET", f"/circles/{circle}/outcomes", {}),
        ("POST", f"/circles/{circle}/outcomes", outcome_data()),
    ]
    for method, url, data in refused:
        assert client.open(url, method=method, data=data).status_code == 403, (method, url)
    assert count(query, Attendance) == 0
    assert count(query, Outcome) == 0
    assert query(lambda: db.session.get(Enrollment, setting.pat).status) == "enrolled"


def test_a_draft_circles_sheet_is_missing_for_outsiders(app, client, world, query):
    draft = world.circle(publish=False, lead=world.co, start_time=dt.time(10))
    meeting = query(
        lambda: db.session.scalar(sa.select(Meeting.id).where(Meeting.circle_id == draft))
    )
    login(client, OTHER_MANAGER)
    assert client.get(f"/meetings/{meeting}/attendance").status_code == 404
    assert client.get("/meetings/999999/attendance").status_code == 404


# --- self check-in -----------------------------------------------------------------------------


def allow_checkin(app, setting: AttendanceSetting, allowed: bool = True) -> None:
    with app.app_context():
        db.session.get(Circle, setting.circle).self_checkin = allowed
        db.session.commit()


def test_participant_checks_in_from_the_circle_page(app, client, world, setting, query):
    allow_checkin(app, setting)
    set_times(app, setting.meetings, past=1, current=True)
    current = setting.meetings[1]
    login(client, PARTICIPANT)
    page = page_text(client.get(f"/circles/{setting.circle}"))
    assert f"/meetings/{current}/checkin" in page
    response = client.post(
        f"/meetings/{current}/checkin", data={"next": f"/circles/{setting.circle}"}
    )
    assert response.headers["Location"] == f"/circles/{setting.circle}"
    assert stored_marks(query, current) == {setting.pat: "present"}
    assert changes(query) == [(setting.pat, None, "present", world.participant)]
    page = page_text(client.get(f"/circles/{setting.circle}"))
    assert "You are checked in for today's meeting." in page
    # Checking in twice changes nothing.
    client.post(f"/meetings/{current}/checkin")
    assert len(changes(query)) == 1


def test_participant_checks_in_from_my_circles(app, client, setting, query):
    allow_checkin(app, setting)
    set_times(app, setting.meetings, past=1, current=True)
    login(client, PARTICIPANT)
    page = page_text(client.get("/my/circles"))
    assert f"/meetings/{setting.meetings[1]}/checkin" in page
    response = client.post(
        f"/meetings/{setting.meetings[1]}/checkin",
        data={"next": "/my/circles"},
        follow_redirects=True,
    )
    assert "You are checked in. Welcome!" in page_text(response)
    assert stored_marks(query, setting.meetings[1]) == {setting.pat: "present"}


def test_check_in_is_refused_outside_the_window_or_when_not_enrolled(
    app, client, factory, setting, query
):
    allow_checkin(app, setting)
    login(client, PARTICIPANT)
    page = page_text(client.get("/my/circles"))
    assert "/checkin" not in page  # no meeting is on now
    past, future = setting.meetings[0], setting.meetings[1]
    response = client.post(f"/meetings/{past}/checkin", follow_redirects=True)
    assert "This meeting is over: check-in has closed." in page_text(response)
    response = client.post(f"/meetings/{future}/checkin", follow_redirects=True)
    assert "Check-in opens 15 minutes before the meeting starts." in page_text(response)

    set_times(app, setting.meetings, past=1, current=True)
    factory.user("stranger@example.org", name="Stranger")
    client.post("/logout")
    login(client, "stranger@example.org")
    response = client.post(f"/meetings/{setting.meetings[1]}/checkin", follow_redirects=True)
    assert "Only people enrolled in this circle can check in." in page_text(response)
    assert count(query, Attendance) == 0


def test_check_in_needs_the_circle_to_allow_it(app, client, setting, query):
    set_times(app, setting.meetings, past=1, current=True)
    login(client, PARTICIPANT)
    assert "/checkin" not in page_text(client.get(f"/circles/{setting.circle}"))
    response = client.post(f"/meetings/{setting.meetings[1]}/checkin", follow_redirects=True)
    assert "This circle does not use self check-in" in page_text(response)
    assert count(query, Attendance) == 0


@pytest.mark.parametrize(
    ("offset", "allowed"),
    [
        (dt.timedelta(minutes=-15, seconds=-1), False),
        (dt.timedelta(minutes=-15), True),
        (dt.timedelta(0), True),
        (dt.timedelta(minutes=90, seconds=-1), True),
        (dt.timedelta(minutes=90), False),
    ],
)
def test_check_in_window_edges(app, world, setting, query, offset, allowed):
    """From 15 minutes before the start, until (not including) the end."""
    allow_checkin(app, setting)
    with app.app_context():
        meeting = db.session.get(Meeting, setting.meetings[1])
        user = db.session.get(User, world.participant)
        now = meeting.starts_at + offset
        assert (
            services.open_checkin(db.session.get(Enrollment, setting.pat), now) is not None
        ) is allowed
        if allowed:
            services.check_in(meeting, user, now)
        else:
            with pytest.raises(RuleViolation):
                services.check_in(meeting, user, now)
        db.session.commit()
    assert stored_marks(query, setting.meetings[1]) == ({setting.pat: "present"} if allowed else {})


def test_waitlisted_people_cannot_check_in(app, setting, query):
    allow_checkin(app, setting)
    with app.app_context():
        meeting = db.session.get(Meeting, setting.meetings[1])
        wes = User(email="wes@example.org", name="Wes")
        db.session.add(wes)
        with pytest.raises(RuleViolation, match="Only people enrolled"):
            services.check_in(meeting, wes, meeting.starts_at)
        db.session.rollback()


# --- my attendance -----------------------------------------------------------------------------


def test_participant_sees_their_own_record(app, client, world, setting, query):
    set_times(app, setting.meetings, past=3)
    with app.app_context():
        lead = db.session.get(User, world.lead)
        for meeting_id, status in zip(setting.meetings[:2], ["present", "excused"], strict=True):
            services.record_attendance(
                db.session.get(Meeting, meeting_id),
                {setting.pat: status, setting.ann: "absent"},
                0,
                "",
                by=lead,
                now=utcnow(),
            )
        db.session.commit()
    login(client, PARTICIPANT)
    assert "/my/attendance" in client.get("/my/circles").text
    page = page_text(client.get("/my/attendance"))
    assert "Present at 1 of 3 meetings so far." in page
    assert page.count("— Present") == 1
    assert page.count("— Excused") == 1
    assert page.count("not recorded") == 1
    assert "Absent" not in page  # Ann's marks are Ann's


# --- circle settings ---------------------------------------------------------------------------


def edit_data(world, **overrides) -> dict:
    data = {
        "course_id": world.course,
        "room_id": world.room,
        "format": "in_person",
        "title": "Grant circle",
        "capacity": "3",
        "audience": "public",
        "self_checkin": "y",
        "completion_min_meetings": "3",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_edit_form_sets_self_checkin_and_completion(client, world, setting, query):
    login(client, LEAD)
    page = page_text(client.get(f"/circles/{setting.circle}/edit"))
    assert "Meetings to attend for completion" in page
    assert client.post(f"/circles/{setting.circle}/edit", data=edit_data(world)).status_code == 302
    circle = query(lambda: db.session.get(Circle, setting.circle))
    assert (circle.self_checkin, circle.completion_min_meetings) == (True, 3)
    client.post(
        f"/circles/{setting.circle}/edit",
        data=edit_data(world, self_checkin=None, completion_min_meetings=""),
    )
    circle = query(lambda: db.session.get(Circle, setting.circle))
    assert (circle.self_checkin, circle.completion_min_meetings) == (False, None)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("0", "Between 1 and 4 (the number of meetings)."),
        ("5", "Between 1 and 4 (the number of meetings)."),
        ("-2", "Between 1 and 4 (the number of meetings)."),
        ("many", "Not a valid integer value."),
    ],
)
def test_completion_minimum_must_fit_the_meetings(client, world, setting, query, value, message):
    login(client, LEAD)
    response = client.post(
        f"/circles/{setting.circle}/edit", data=edit_data(world, completion_min_meetings=value)
    )
    assert response.status_code == 200
    assert f'<p class="error" id="completion_min_meetings-error">{message}</p>' in page_text(
        response
    )
    circle = query(lambda: db.session.get(Circle, setting.circle))
    assert (circle.self_checkin, circle.completion_min_meetings) == (False, None)


# --- completion --------------------------------------------------------------------------------


def attend(app, setting: AttendanceSetting, plan: dict[int, list[str]]) -> None:
    """Record each person's marks, meeting by meeting, as the lead."""
    with app.app_context():
        lead = db.session.scalar(sa.select(User).where(User.email == LEAD))
        for index, meeting_id in enumerate(setting.meetings):
            marks = {eid: statuses[index] for eid, statuses in plan.items() if statuses[index]}
            if not marks:
                continue
            services.record_attendance(
                db.session.get(Meeting, meeting_id), marks, 0, "", by=lead, now=utcnow()
            )
        db.session.commit()


def test_completion_opens_after_the_last_meeting_started(client, setting, query):
    login(client, LEAD)
    page = page_text(client.get(f"/circles/{setting.circle}/completions"))
    assert "Completion can be recorded once the last meeting has started." in page
    page = page_text(
        client.post(f"/circles/{setting.circle}/completions", data={"completed": [setting.pat]})
    )
    assert "Completion can be recorded once the last meeting has started." in page
    assert query(lambda: db.session.get(Enrollment, setting.pat).status) == "enrolled"


def test_completion_is_suggested_confirmed_and_reversible(app, client, setting, query):
    set_times(app, setting.meetings, past=4)
    with app.app_context():
        db.session.get(Circle, setting.circle).completion_min_meetings = 3
        db.session.commit()
    p, a = "present", "absent"
    attend(
        app,
        setting,
        {
            setting.pat: [p, p, p, p],
            setting.ann: [p, a, p, p],
            setting.bob: [p, a, "excused", a],
        },
    )
    login(client, LEAD)
    page = page_text(client.get(f"/circles/{setting.circle}/completions"))
    assert "Completion needs 3 of 4 meetings attended" in page
    assert "4 meetings attended · suggested" in page
    assert "3 meetings attended · suggested" in page
    assert "1 meeting attended" in page
    assert page.count("checked") == 2  # the suggestions are pre-ticked

    response = client.post(
        f"/circles/{setting.circle}/completions",
        data={"completed": [setting.pat, setting.ann]},
        follow_redirects=True,
    )
    assert "Saved: 2 newly completed, 0 back to enrolled." in page_text(response)
    people = query(
        lambda: {
            e.id: (e.status, e.completed_at is not None)
            for e in db.session.scalars(sa.select(Enrollment))
        }
    )
    assert people[setting.pat] == people[setting.ann] == ("completed", True)
    assert people[setting.bob] == ("enrolled", False)
    assert query(lambda: db.session.get(Circle, setting.circle).enrolled_count) == 3

    # Un-ticking Ann sets her back to enrolled; the page then shows her un-ticked.
    response = client.post(
        f"/circles/{setting.circle}/completions",
        data={"completed": [setting.pat]},
        follow_redirects=True,
    )
    page = page_text(response)
    assert "Saved: 0 newly completed, 1 back to enrolled." in page
    assert page.count("checked") == 1
    ann = query(lambda: db.session.get(Enrollment, setting.ann))
    assert (ann.status, ann.completed_at) == ("enrolled", None)
    assert query(lambda: db.session.get(Circle, setting.circle).enrolled_count) == 3
    actions = query(
        lambda: [
            e.action for e in db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id))
        ]
    )
    assert actions == ["enrollment.complete", "enrollment.complete", "enrollment.reopen"]
    # Completed people keep a seat: nobody moved up from the waitlist.
    assert query(lambda: db.session.get(Enrollment, setting.wes).status) == "waitlisted"


def test_completion_refuses_people_of_other_places(app, client, world, setting, query):
    set_times(app, setting.meetings, past=4)
    login(client, LEAD)
    response = client.post(
        f"/circles/{setting.circle}/completions", data={"completed": [setting.pat, setting.wes]}
    )
    assert f"'{setting.wes}' is not a valid choice" in page_text(response)
    with app.app_context(), pytest.raises(RuleViolation, match="not enrolled in this circle"):
        completion.confirm_completions(
            db.session.get(Circle, setting.circle),
            {setting.pat, setting.wes},
            by=db.session.get(User, world.lead),
            now=utcnow(),
        )
    assert query(lambda: db.session.get(Enrollment, setting.pat).status) == "enrolled"


# --- outcomes ----------------------------------------------------------------------------------


def outcome_data(**overrides) -> dict:
    data = {
        "enrollment_id": "",
        "kind": "grant",
        "title": "Community health grant",
        "achieved_on": (utcnow().date() - dt.timedelta(days=10)).isoformat(),
        "ce_hours": "",
        "funder": "State Library",
        "amount": "$12,500.50",
        "evidence_url": "https://example.org/news/grant",
    }
    data.update(overrides)
    return data


def add_credential(query, name: str = "NNLM CHIS", kind: str = "credential", **fields) -> int:
    """A credential on the admin's list (credentials and certificates name one)."""

    def add():
        credential = Credential(name=name, kind=kind, **fields)
        db.session.add(credential)
        db.session.commit()
        return credential.id

    return query(add)


def test_facilitator_records_outcomes(client, world, setting, query):
    chis = add_credential(query)
    login(client, CO)
    assert "/outcomes" in client.get(f"/circles/{setting.circle}").text
    response = client.post(f"/circles/{setting.circle}/outcomes", data=outcome_data())
    assert response.status_code == 302
    response = client.post(
        f"/circles/{setting.circle}/outcomes",
        data=outcome_data(
            enrollment_id=str(setting.ann),
            kind="credential",
            credential_id=str(chis),
            title="",
            ce_hours="12.5",
            funder="",
            amount="",
            evidence_url="",
        ),
    )
    assert response.status_code == 302
    fields = ("enrollment_id", "kind", "title", "ce_hours", "funder", "amount_cents", "status")
    outcomes = query(
        lambda: [
            [getattr(o, f) for f in (*fields, "reported_by_id", "confirmed_by_id")]
            for o in db.session.scalars(sa.select(Outcome).order_by(Outcome.id))
        ]
    )
    by_co = ["confirmed", world.co, world.co]
    assert outcomes == [
        [None, "grant", "Community health grant", None, "State Library", 1250050, *by_co],
        [setting.ann, "credential", "NNLM CHIS", Decimal("12.50"), "", None, *by_co],
    ]
    page = page_text(client.get(f"/circles/{setting.circle}/outcomes"))
    assert "Amount: $12,500.50" in page
    assert "CE hours: 12.50" in page
    assert "Ann Able" in page
    assert 'href="https://example.org/news/grant"' in page


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"amount": "-5"}, "amount", "Enter an amount between $0 and $10,000,000."),
        ({"amount": "10000000.01"}, "amount", "Enter an amount between $0 and $10,000,000."),
        ({"amount": "1e12"}, "amount", "Enter an amount between $0 and $10,000,000."),
        ({"amount": "lots"}, "amount", "Enter a number, like 2500 or 2500.50."),
        ({"amount": "NaN"}, "amount", "Enter a number, like 2500 or 2500.50."),
        ({"amount": "Infinity"}, "amount", "Enter a number, like 2500 or 2500.50."),
        ({"amount": "12.345"}, "amount", "Use at most two decimal places."),
        ({"ce_hours": "-1"}, "ce_hours", "Enter hours between 0 and 1000."),
        ({"ce_hours": "ten"}, "ce_hours", "Enter a number, like 2500 or 2500.50."),
        ({"achieved_on": "2099-01-01"}, "achieved_on", "Enter a date between 2000-01-01 and"),
        ({"achieved_on": "1999-12-31"}, "achieved_on", "Enter a date between 2000-01-01 and"),
        ({"achieved_on": "2024-02-30"}, "achieved_on", "Not a valid date value."),
        ({"achieved_on": ""}, "achieved_on", "Enter the date it was achieved."),
        (
            {"evidence_url": "javascript:alert(1)"},
            "evidence_url",
            "Enter a web address starting with https://",
        ),
        ({"title": "  "}, "title", "Enter a title."),
        ({"kind": "lottery"}, "kind", "Not a valid choice"),
        ({"enrollment_id": "999999"}, "enrollment_id", "Not a valid choice"),
    ],
)
def test_bad_outcomes_are_refused_beside_the_field(
    client, setting, query, overrides, field, message
):
    login(client, LEAD)
    response = client.post(f"/circles/{setting.circle}/outcomes", data=outcome_data(**overrides))
    assert response.status_code == 200
    page = page_text(response)
    assert f'<p class="error" id="{field}-error">{message}' in page
    assert count(query, Outcome) == 0


def test_outcome_date_and_amount_limits(app, world, setting, query):
    today = dt.date(2026, 3, 1)
    with app.app_context():
        circle = db.session.get(Circle, setting.circle)
        lead = db.session.get(User, world.lead)

        def add(**fields):
            data = {
                "kind": "grant",
                "title": "Grant",
                "achieved_on": today,
                "funder": "State Library",
                "amount": Decimal(1),
            } | fields
            return outcome_rules.add_outcome(
                circle, outcome_rules.OutcomeInput(**data), by=lead, today=today
            )

        assert add(achieved_on=today).achieved_on == today
        assert add(achieved_on=dt.date(2000, 1, 1)).achieved_on == dt.date(2000, 1, 1)
        assert add(amount=Decimal("10000000")).amount_cents == 1_000_000_000
        assert add(ce_hours=Decimal(0)).ce_hours == 0
        assert add(amount=Decimal("0.01")).amount_cents == 1
        for fields, field in [
            ({"achieved_on": today + dt.timedelta(days=1)}, "achieved_on"),
            ({"achieved_on": dt.date(1999, 12, 31)}, "achieved_on"),
            ({"amount": Decimal("10000000.01")}, "amount"),
            ({"ce_hours": Decimal("1000.01")}, "ce_hours"),
            ({"enrollment_id": setting.wes}, "enrollment_id"),
        ]:
            with pytest.raises(RuleViolation) as error:
                add(**fields)
            assert error.value.field == field
        db.session.commit()
    assert count(query, Outcome) == 5


def test_participant_reports_and_facilitator_confirms(client, world, setting, query):
    login(client, PARTICIPANT)
    page = page_text(client.get("/my/circles"))
    assert f"/my/enrollments/{setting.pat}/outcome" in page
    response = client.post(
        f"/my/enrollments/{setting.pat}/outcome",
        data=outcome_data(kind="promotion", title="Branch supervisor", amount="", funder=""),
        follow_redirects=True,
    )
    page = page_text(response)
    assert "Thank you! A facilitator will confirm it." in page
    assert "waiting for confirmation" in page
    outcome = query(lambda: db.session.scalars(sa.select(Outcome)).one())
    assert (outcome.enrollment_id, outcome.status, outcome.reported_by_id) == (
        setting.pat,
        "reported",
        world.participant,
    )
    assert outcome.confirmed_by_id is None
    # Participants cannot confirm their own, nor report for someone else.
    assert client.post(f"/outcomes/{outcome.id}/confirm").status_code == 403
    assert client.get(f"/my/enrollments/{setting.ann}/outcome").status_code == 404
    assert (
        client.post(f"/my/enrollments/{setting.ann}/outcome", data=outcome_data()).status_code
        == 404
    )

    client.post("/logout")
    login(client, LEAD)
    page = page_text(client.get(f"/circles/{setting.circle}/outcomes"))
    assert "Branch supervisor" in page
    assert "waiting for confirmation" in page
    client.post(f"/outcomes/{outcome.id}/confirm")
    outcome = query(lambda: db.session.get(Outcome, outcome.id))
    assert (outcome.status, outcome.confirmed_by_id) == ("confirmed", world.lead)
    response = client.post(f"/outcomes/{outcome.id}/confirm", follow_redirects=True)
    assert "already confirmed" in page_text(response)


def test_reporting_needs_a_seat(app, client, setting, query):
    with app.app_context():
        db.session.get(Enrollment, setting.pat).status = "withdrawn"
        db.session.commit()
    login(client, PARTICIPANT)
    response = client.post(f"/my/enrollments/{setting.pat}/outcome", data=outcome_data())
    assert "Only people enrolled in the circle can report an outcome." in page_text(response)
    assert count(query, Outcome) == 0


def test_facilitator_deletes_an_outcome_after_confirming(client, world, setting, query):
    login(client, LEAD)
    client.post(f"/circles/{setting.circle}/outcomes", data=outcome_data())
    outcome_id = query(lambda: db.session.scalar(sa.select(Outcome.id)))
    page = page_text(client.get(f"/outcomes/{outcome_id}/delete"))
    assert "Delete “Community health grant”? This cannot be undone." in page
    assert count(query, Outcome) == 1  # the question alone deletes nothing
    client.post(f"/outcomes/{outcome_id}/delete")
    assert count(query, Outcome) == 0
    event = query(lambda: db.session.scalars(sa.select(AuditEvent)).one())
    assert (event.action, event.actor_id) == ("outcome.delete", world.lead)


@pytest.mark.parametrize("email", OUTSIDERS)
def test_others_cannot_confirm_or_delete_outcomes(app, client, world, setting, query, email):
    with app.app_context():
        outcome = outcome_rules.add_outcome(
            db.session.get(Circle, setting.circle),
            outcome_rules.OutcomeInput(
                kind="other",
                title="Reported",
                achieved_on=utcnow().date(),
                enrollment_id=setting.pat,
            ),
            by=db.session.get(User, world.participant),
            today=utcnow().date(),
            reported=True,
        )
        db.session.commit()
        outcome_id = outcome.id
    login(client, email)
    assert client.post(f"/outcomes/{outcome_id}/confirm").status_code == 403
    assert client.get(f"/outcomes/{outcome_id}/delete").status_code == 403
    assert client.post(f"/outcomes/{outcome_id}/delete").status_code == 403
    assert query(lambda: db.session.get(Outcome, outcome_id).status) == "reported"


# --- CSV ---------------------------------------------------------------------------------------


def test_attendance_csv_per_circle(app, client, setting, query):
    set_times(app, setting.meetings, past=2)
    with app.app_context():
        db.session.get(Enrollment, setting.bob).name = '=HYPERLINK("http://evil")'
        db.session.commit()
    attend(
        app,
        setting,
        {
            setting.pat: ["present", "absent", None, None],
            setting.bob: ["excused", "present", None, None],
        },
    )
    with app.app_context():
        db.session.get(AttendanceSheet, setting.meetings[0]).walk_ins = 4
        db.session.commit()
    login(client, MANAGER)
    response = client.get(f"/circles/{setting.circle}/attendance.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.text.lstrip("\ufeff"))))
    dates = query(
        lambda: [
            db.session.get(Meeting, m).starts_at.astimezone(dt.UTC).date()
            for m in setting.meetings[:2]
        ]
    )
    header = rows[0]
    assert header[:3] == ["name", "email", "status"]
    assert len(header) == 3 + 2 + 3  # two meetings held so far
    assert header[5:] == ["present", "absent", "excused"]
    assert all(len(h) == 10 for h in header[3:5])  # ISO dates in the circle's zone
    assert abs((dt.date.fromisoformat(header[3]) - dates[0]).days) <= 1
    evil = '\'=HYPERLINK("http://evil")'
    assert sorted(rows[1:4], key=lambda row: row[1]) == [
        ["Ann Able", "ann@example.org", "enrolled", "", "", "0", "0", "0"],
        [evil, "bob@example.org", "enrolled", "excused", "present", "1", "0", "1"],
        ["Pat", "pat@example.org", "enrolled", "present", "absent", "1", "1", "0"],
    ]
    assert rows[4:] == [
        ["Total present", "", "", "1", "1", "", "", ""],
        ["Walk-ins", "", "", "4", "0", "", "", ""],
    ]
