"""End-to-end on a desktop and a phone, axe on every page: a participant of a circle that
has ended answers its survey from the circle's page; its lead facilitator opens the results,
writes the wrap-up and sees it with the participant's answer."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import Page, expect

from app.extensions import db
from app.models import Meeting
from app.timeutil import utcnow
from tests.e2e.helpers import (
    DESKTOP,
    PHONE,
    check_page,
    flash,
    sign_in,
)
from tests.factories import World, build_attendance_setting

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_participant_answers_the_survey_and_the_facilitator_wraps_up(
    page: Page, app, factory, size
):
    setting = build_attendance_setting(app, World(app, factory), factory)
    with app.app_context():  # the four meetings held a week apart, the last one yesterday
        for weeks, meeting_id in enumerate(reversed(setting.meetings)):
            meeting = db.session.get(Meeting, meeting_id)
            meeting.ends_at = utcnow() - dt.timedelta(days=1, weeks=weeks)
            meeting.starts_at = meeting.ends_at - dt.timedelta(minutes=90)
        db.session.commit()
    page.set_viewport_size(size)

    sign_in(page, "pat@example.org")
    page.goto(f"/circles/{setting.circle}")
    page.get_by_role("link", name="Answer the end-of-circle survey").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("End-of-circle survey")
    page.get_by_role("group", name="Did the circle meet your goal?").get_by_label("Yes").check()
    page.get_by_label("What changed in your work?").fill("I lead our grant team now")
    page.get_by_role("group", name="Would you recommend it").get_by_label("Yes").check()
    page.get_by_role("group", name="Your rating of the course").get_by_label("5").check()
    page.get_by_role("group", name="Your rating of the circle").get_by_label("4").check()
    check_page(page)
    page.get_by_role("button", name="Send my answers").click()
    expect(flash(page)).to_contain_text("your answers are saved")
    check_page(page)
    page.goto(f"/circles/{setting.circle}/survey")
    expect(page.get_by_text("You already answered on")).to_be_visible()
    expect(page.get_by_text("I lead our grant team now")).to_be_visible()  # their own answers
    check_page(page)

    page.context.clear_cookies()
    sign_in(page, "lead@example.org")
    page.goto(f"/circles/{setting.circle}")
    page.get_by_role("link", name="Evaluation", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Evaluation")
    expect(page.get_by_text("I lead our grant team now")).to_be_visible()
    check_page(page)
    page.get_by_role("link", name="Write the wrap-up").click()
    page.get_by_label("What went well?").fill("Everyone drafted a budget")
    page.get_by_label("Notes on attendance").fill("Full room every week")
    page.get_by_role("group", name="Would you run it again?").get_by_label("Yes").check()
    check_page(page)
    page.get_by_role("button", name="Save the wrap-up").click()
    expect(flash(page)).to_contain_text("Wrap-up saved")
    expect(page.get_by_text("Everyone drafted a budget")).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text("100%")  # goal met, would recommend
    check_page(page)
