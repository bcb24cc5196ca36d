"""Search ignores case and accents on both databases: "informatica" finds "Informática",
"alvarez" finds "Álvarez", for courses, circles and people (``app/models/search.py``)."""

from __future__ import annotations

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from app import create_app
from app.extensions import db
from app.models import Course, User
from app.text import fold
from tests.conftest import login
from tests.factories import add_course


def test_fold_drops_case_and_accents_and_is_stable():
    assert fold("Informática Básica") == "informatica basica"
    assert fold("ÁLVAREZ") == fold("alvarez") == "alvarez"
    assert fold("Straße") == "strasse"
    assert fold("ﬁnance") == "finance"
    assert fold("ℌilbert") == "hilbert"
    assert fold("Kreyòl ayisyen") == "kreyol ayisyen"
    assert fold(None) == fold("") == ""
    for text in ("Ñandú", "ǅemal", "İstanbul", "ΣΊΣΥΦΟΣ"):
        assert fold(fold(text)) == fold(text)


def _titles(page: str, candidates) -> set[str]:
    return {t for t in candidates if t in page}


def test_courses_match_without_accents_or_case(app, client):
    add_course(app, "Informática básica", description="Correo electrónico y navegación")
    add_course(app, "Writing grants well", provider="Fundación Ñandú")
    add_course(app, "Plain English", credential="Certificate")
    names = ("Informática básica", "Writing grants well", "Plain English")

    def found(q: str) -> set[str]:
        return _titles(client.get("/courses/", query_string={"q": q}).text, names)

    assert found("informatica") == {"Informática básica"}
    assert found("INFORMÁTICA BÁS") == {"Informática básica"}
    assert found("electronico") == {"Informática básica"}  # the description
    assert found("fundacion nandu") == {"Writing grants well"}  # the provider
    assert found("certificate") == {"Plain English"}  # the credential
    assert found("informatique") == set()


def test_a_course_is_found_by_its_new_title_after_an_edit(admin, app):
    course_id = add_course(app, "Old name")
    with app.app_context():
        db.session.get(Course, course_id).title = "Gestión de colecciones"
        db.session.commit()
    page = admin.get("/courses/?q=gestion").text
    assert "Gestión de colecciones" in page
    assert "Old name" not in admin.get("/courses/?q=old").text


def test_circles_match_without_accents_or_case(client, world):
    world.circle(audience="public", title="Círculo de lectura en español")
    world.circle(
        world.co,
        audience="public",
        title="Grant circle",
        course_id=world.spanish,
        room_id=world.small_room,
        capacity=4,
    )

    def found(q: str) -> set[str]:
        page = client.get("/circles/", query_string={"q": q}).text
        return _titles(page, ("Círculo de lectura en español", "Grant circle"))

    assert found("circulo de lectura") == {"Círculo de lectura en español"}
    assert found("ESPANOL") == {"Círculo de lectura en español"}
    assert found("informatica") == {"Grant circle"}  # its course is "Informática básica"


def test_people_match_without_accents_or_case(admin, factory):
    factory.user("maria@example.org", name="María Álvarez")
    factory.user("jo@example.org", name="Jo Alvares")
    page = admin.get("/admin/users?q=alvarez").text
    assert "María Álvarez" in page
    assert "Jo Alvares" not in page
    assert "María Álvarez" in admin.get("/admin/users?q=MARIA").text
    assert "María Álvarez" in admin.get("/admin/users?q=maria@").text  # the email


def test_search_columns_follow_every_change(app, factory):
    user_id = factory.user("x@example.org", name="Zoë")
    with app.app_context():
        user = db.session.get(User, user_id)
        assert user.search_text == "zoe\nx@example.org"
        user.name = "Zoé Ñ"
        db.session.commit()
        assert db.session.get(User, user_id).search_text == "zoe n\nx@example.org"


def test_migration_fills_search_text_and_keeps_hours(fresh_database_url):
    """0010 on a database that already has rows: their search text is filled, whole hours
    stay, and the downgrade turns decimal hours back into whole ones (rounded up)."""
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": fresh_database_url, "SECRET_KEY": "x", "TESTING": True}
    )
    with app.app_context():
        upgrade(revision="0009")
        db.session.execute(
            sa.text(
                "INSERT INTO course (title, provider, url, description, language, format, hours,"
                " is_free, credential, skill_area, career_stage, created_at, updated_at)"
                " VALUES ('Informática', 'Ñandú', 'https://e.org/1', 'Más', 'es', 'self_paced',"
                " 3, true, '', 'technology', 'all', '2030-01-01', '2030-01-01')"
            )
        )
        db.session.execute(
            sa.text(
                'INSERT INTO "user" (email, name, is_admin, is_facilitator, active, timezone,'
                " locale, session_version, created_at, updated_at) VALUES ('a@e.org',"
                " 'Ana Álvarez', false, false, true, 'UTC', 'en', 1, '2030-01-01', '2030-01-01')"
            )
        )
        db.session.commit()
        db.session.remove()

        upgrade()
        course = db.session.scalars(sa.select(Course)).one()
        assert course.search_text == "informatica\nnandu\n\nmas"
        assert course.hours == 3
        user = db.session.scalars(sa.select(User)).one()
        assert user.search_text == "ana alvarez\na@e.org"
        course.hours = 1.5
        db.session.commit()
        assert db.session.scalars(sa.select(Course.hours)).one() == 1.5
        db.session.remove()

        downgrade(revision="0009")
        assert db.session.execute(sa.text("SELECT hours FROM course")).scalar_one() == 2
        db.session.remove()  # no transaction may stay open while the schema changes
        columns = {c["name"] for c in sa.inspect(db.engine).get_columns("course")}
        assert "search_text" not in columns
        upgrade()
        db.engine.dispose()


def test_search_on_the_people_page_needs_admin(client, factory):
    factory.user("p@example.org", name="Pat Pérez")
    login(client, "p@example.org")
    assert client.get("/admin/users?q=perez").status_code in (403, 404)
