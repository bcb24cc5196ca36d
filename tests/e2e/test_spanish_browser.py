"""End-to-end in Spanish (issue 16), on a desktop (1280x800) and a phone (390x844), axe on
every page: a visitor whose browser asks for Spanish reads the home page, the catalogue, a
circle and the sign-in page in Spanish (``<html lang="es">``); Pat, whose profile says English,
signs in to English pages and turns them Spanish with the switch in the header (the button is
marked ``lang="es"``); she joins a circle, is told so in Spanish and emailed in Spanish, meets
a form error in Spanish, and signs out to the browser's language again. And the pages staff
use most, on the demo data in Spanish (longer words), fit the screen and pass axe."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from app.demo import DEMO_PASSWORD
from app.extensions import db
from app.models import Circle, Course, User
from tests.conftest import PASSWORD
from tests.e2e.helpers import DESKTOP, PHONE, check_page, flash, outbox, sign_in

pytestmark = pytest.mark.e2e

PUBLIC = "Grant writing circle"
STAFF = "Book club circle"


def heading(page: Page):
    return page.get_by_role("heading", level=1)


@pytest.mark.browser_context_args(locale="es-US")  # Accept-Language: es-US
@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_main_journeys_in_spanish(page: Page, world, query, size):
    public = world.circle(title=PUBLIC, audience="public")
    staff = world.circle(world.co, title=STAFF)  # Cole leads it: not at the same time as Lena
    html = page.locator("html")
    page.set_viewport_size(size)

    # A visitor: the browser's language.
    page.goto("/")
    expect(html).to_have_attribute("lang", "es")
    expect(heading(page)).to_have_text(
        "Círculos de aprendizaje para el desarrollo del personal de la biblioteca"
    )
    expect(page.get_by_role("link", name="Saltar al contenido principal")).to_be_attached()
    check_page(page)

    page.goto("/courses/")
    expect(heading(page)).to_have_text("Catálogo de cursos gratuitos")
    expect(page.get_by_role("main")).to_contain_text("2 cursos")
    check_page(page)

    page.goto(f"/circles/{public}")
    expect(heading(page)).to_contain_text(PUBLIC)
    check_page(page)
    page.get_by_role("region", name="Inscribirse").get_by_role(
        "link", name="Inscribirse en el círculo"
    ).click()
    expect(heading(page)).to_have_text(f"Inscribirse en “{PUBLIC}”")
    expect(page.get_by_label("Su nombre")).to_be_visible()
    expect(page.get_by_label("Su correo electrónico")).to_be_visible()
    check_page(page)

    page.goto("/login")
    expect(heading(page)).to_have_text("Iniciar sesión")
    check_page(page)
    page.get_by_label("Correo electrónico").fill("pat@example.org")
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Iniciar sesión").click()

    # Pat's profile says English, which comes first; the switch in the header changes it.
    expect(flash(page)).to_have_text("Welcome, Pat.")
    expect(html).to_have_attribute("lang", "en")
    switch = page.get_by_role("banner").get_by_role("button", name="Español")
    expect(switch).to_have_attribute("lang", "es")
    check_page(page)
    switch.click()
    expect(html).to_have_attribute("lang", "es")
    expect(heading(page)).to_have_text("Hola, Pat")
    expect(page.get_by_role("banner").get_by_role("button", name="English")).to_have_attribute(
        "lang", "en"
    )
    check_page(page)

    # Joining: the page, the message and the email in Spanish.
    page.goto(f"/circles/{staff}")
    join = page.get_by_role("region", name="Inscribirse")
    join.get_by_role("button", name="Inscribirse en el círculo").click()
    expect(page).to_have_url("/my/circles")
    expect(heading(page)).to_have_text("Mis círculos")
    expect(flash(page)).to_have_text(
        "¡Ya está inscrito! Le enviamos una confirmación a pat@example.org."
    )
    expect(page.get_by_role("region", name="Mis lugares")).to_contain_text(STAFF)
    check_page(page)
    [(to, subject, body)] = outbox(query)
    assert (to, subject) == ("pat@example.org", f"Está inscrito en “{STAFF}”")
    assert f"Usted está inscrito en “{STAFF}”." in body

    # A form error, beside its field.
    page.goto("/account/password")
    expect(heading(page)).to_have_text("Cambiar contraseña")
    page.get_by_label("Contraseña actual").fill("not my password at all")
    page.get_by_label("Contraseña nueva", exact=True).fill("a long new passphrase here")
    page.get_by_label("Repita la contraseña nueva").fill("a long new passphrase here")
    page.get_by_role("main").get_by_role("button", name="Cambiar contraseña").click()
    expect(page.get_by_role("main")).to_contain_text("Esa no es su contraseña actual.")
    check_page(page)

    # Signed out, the browser's language again.
    page.get_by_role("banner").get_by_role("button", name="Cerrar sesión").click()
    expect(flash(page)).to_have_text("Cerró su sesión.")
    expect(html).to_have_attribute("lang", "es")
    check_page(page)


# The pages staff use most, in Spanish, where words run longer than in English.
PAGES = [
    "/",
    "/circles/",
    "/courses/",
    "/my/circles",
    "/pathways/",
    "/facilitate/",
    "/reports/",
    "/demand",
    "/calendar/",
    "/account",
    "/admin/users",
    "/credentials/",
]


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_main_pages_in_spanish_fit_and_pass_axe(page: Page, demo, query, size):
    def everyone_speaks_spanish() -> None:
        db.session.execute(sa.update(User).values(locale="es"))
        db.session.commit()

    query(everyone_speaks_spanish)
    circle = query(lambda: db.session.scalar(sa.select(sa.func.min(Circle.id))))
    course = query(lambda: db.session.scalar(sa.select(sa.func.min(Course.id))))
    page.set_viewport_size(size)
    sign_in(page, "admin@example.org", DEMO_PASSWORD)
    for path in [*PAGES, f"/circles/{circle}", f"/courses/{course}"]:
        page.goto(path)
        expect(page.locator("html")).to_have_attribute("lang", "es")
        expect(page.get_by_role("banner").get_by_role("button", name="English")).to_be_visible()
        check_page(page)
