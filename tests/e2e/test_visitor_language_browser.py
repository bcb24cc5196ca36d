"""End-to-end on a desktop and a phone, axe on every page: a visitor (not signed in) whose
browser asks for English turns the site Spanish with the switch in the header; the pages that
follow stay Spanish (``<html lang="es">``); they sign up as a guest for a public circle, and
the email that asks them to confirm, read from a real SMTP server, is in Spanish, as is the
one that says they are in."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import DESKTOP, PHONE, check_page, flash
from tests.test_guest_language import received

pytestmark = pytest.mark.e2e

CIRCLE = "Grant writing circle"


@pytest.mark.browser_context_args(locale="en-US")  # Accept-Language: en-US
@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_visitor_switches_to_spanish_and_signs_up_in_it(
    page: Page, app, world, inbox, live_server, size
):
    circle_id = world.circle(title=CIRCLE, audience="public")
    html = page.locator("html")
    heading = page.get_by_role("heading", level=1)
    page.set_viewport_size(size)

    page.goto(f"/circles/{circle_id}")
    expect(html).to_have_attribute("lang", "en")
    switch = page.get_by_role("banner").get_by_role("button", name="Español")
    expect(switch).to_have_attribute("lang", "es")
    check_page(page)
    switch.click()

    # Back on the same page, in Spanish; and the pages that follow too.
    expect(page).to_have_url(re.compile(rf"/circles/{circle_id}\??$"))
    expect(html).to_have_attribute("lang", "es")
    expect(heading).to_contain_text(CIRCLE)
    expect(page.get_by_role("banner").get_by_role("button", name="English")).to_have_attribute(
        "lang", "en"
    )
    check_page(page)
    page.get_by_role("region", name="Inscribirse").get_by_role(
        "link", name="Inscribirse en el círculo"
    ).click()
    expect(html).to_have_attribute("lang", "es")
    expect(heading).to_have_text(f"Inscribirse en “{CIRCLE}”")
    check_page(page)
    page.get_by_label("Su nombre").fill("Ana Visitante")
    page.get_by_label("Su correo electrónico").fill("ana@example.org")
    page.get_by_role("main").get_by_role("button", name="Inscribirse en el círculo").click()
    expect(heading).to_have_text("Revise su correo")
    expect(html).to_have_attribute("lang", "es")
    check_page(page)

    # The email asking to confirm: in Spanish, with its link to this site.
    [(subject, body)] = received(app, inbox, "ana@example.org")
    assert subject == f"Confirme su lugar en “{CIRCLE}”"
    assert "Hola, Ana Visitante:" in body
    assert "El enlace funciona durante 48 horas." in body
    [link] = re.findall(rf"{re.escape(live_server)}/join/confirm/[\w-]+", body)

    page.goto(link)
    expect(html).to_have_attribute("lang", "es")
    expect(heading).to_have_text(f"Confirme su lugar en “{CIRCLE}”")
    check_page(page)
    page.get_by_role("main").get_by_role("button", name="Confirmar").click()
    expect(page).to_have_url(re.compile(r"/manage/[\w-]+$"))
    expect(flash(page)).to_contain_text("ana@example.org")
    expect(html).to_have_attribute("lang", "es")
    check_page(page)
    [(subject, body)] = received(app, inbox, "ana@example.org")[1:]
    assert subject == f"Está inscrito en “{CIRCLE}”"
    assert "Hola, Ana Visitante:" in body
