"""End-to-end on a desktop and a phone, axe on every page: a guest (no account) of a circle
that has ended opens the survey link from their invitation email, answers, is thanked, and
opening the link again shows the answer instead of the form."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import (
    DESKTOP,
    PHONE,
    check_page,
    flash,
)
from tests.factories import World, build_attendance_setting
from tests.mail import send_outbox
from tests.test_evaluation import end_circle, invite

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_guest_answers_the_survey_from_the_emailed_link(
    page: Page, app, factory, inbox, live_server, size
):
    setting = build_attendance_setting(app, World(app, factory), factory)
    end_circle(app, setting)  # the last meeting ended yesterday
    invite(app)
    send_outbox(app)
    [body] = [
        m.get_body(("plain",)).get_content()
        for to, m in inbox.messages
        if to == ["bob@example.org"] and m["Subject"].startswith("How was")
    ]
    [link] = re.findall(r"\S+/survey/\S+", body)
    assert link.startswith(live_server + "/survey/")  # BASE_URL: the live server
    page.set_viewport_size(size)

    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("End-of-circle survey")
    page.get_by_role("group", name="Did the circle meet your goal?").get_by_label("Yes").check()
    page.get_by_label("What changed in your work?").fill("I run our homework club now")
    page.get_by_role("group", name="Would you recommend it").get_by_label("Yes").check()
    page.get_by_role("group", name="Your rating of the course").get_by_label("4").check()
    page.get_by_role("group", name="Your rating of the circle").get_by_label("5").check()
    check_page(page)
    page.get_by_role("button", name="Send my answers").click()
    expect(flash(page)).to_contain_text("Thank you: your answers are saved")
    expect(page.get_by_text("You already answered on")).to_be_visible()
    expect(page.get_by_text("I run our homework club now")).to_be_visible()
    expect(page.get_by_role("button", name="Send my answers")).to_have_count(0)
    check_page(page)

    page.goto(link)  # the link again, later: the answer, not the form
    expect(page.get_by_text("You already answered on")).to_be_visible()
    expect(page.get_by_role("button", name="Send my answers")).to_have_count(0)
    check_page(page)
