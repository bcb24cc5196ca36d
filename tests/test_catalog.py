"""The free-course catalogue: browsing, adding and editing, retiring, CSV export and import."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import secrets
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.catalog import services
from app.catalog.forms import CourseForm
from app.extensions import db
from app.models import Course
from app.timeutil import utcnow
from tests.conftest import sign_in
from tests.factories import add_course

HEADER = ",".join(services.CSV_HEADER)
URL_ERROR = "Enter a web address starting with https:// or http://."


# --- helpers -------------------------------------------------------------------------------


def _count(query) -> int:
    return query(lambda: db.session.scalar(sa.select(sa.func.count()).select_from(Course)))


def _rows(query) -> list[tuple]:
    """Every course as (editable fields..., retired), ordered by link."""
    return query(
        lambda: [
            (*(getattr(c, name) for name in services.EDITABLE), c.retired)
            for c in db.session.scalars(sa.select(Course).order_by(Course.url))
        ]
    )


def _get(query, course_id: int) -> Course:
    return query(lambda: db.session.get(Course, course_id))


def _titles(response) -> list[str]:
    """Titles of the listed courses, in page order."""
    assert response.status_code == 200
    return re.findall(r'<h2><a href="/courses/\d+">([^<]+)</a></h2>', response.text)


def _form(**overrides) -> dict:
    data = {
        "title": "Python for Librarians",
        "provider": "Library Carpentry",
        "url": "https://librarycarpentry.org/lc-python-intro/",
        "description": "Scripts for everyday library data.",
        "language": "en",
        "format": "self_paced",
        "hours": "6",
        "is_free": "y",
        "credential": "",
        "skill_area": "technology",
        "career_stage": "all",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def _upload(client, data: bytes, filename: str = "courses.csv"):
    return client.post(
        "/courses/import",
        data={"file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def _csv(*lines: str) -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode()


def _parse(response) -> list[list[str]]:
    assert response.status_code == 200
    text = response.data.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:], newline="")))


HOURS_ERROR = "Between 0.25 and 500 hours, like 2 or 1.5."


def _error(response) -> str:
    """The text of the field errors on a form page."""
    return " ".join(re.findall(r'<p class="error" id="[^"]+">([^<]*)</p>', response.text))


# --- browsing ------------------------------------------------------------------------------


def test_anonymous_visitor_browses_list_and_course_page(client, catalogue):
    response = client.get("/courses/")
    assert _titles(response) == ["Alpha", "Beta", "Delta", "Gamma"]
    assert "4 courses" in response.text
    assert "Add course" not in response.text  # no staff actions
    # Codes are shown by their labels.
    assert "Coursera · Leadership · Emerging managers · Español" in response.text

    page = client.get(f"/courses/{catalogue['Beta']}")
    assert page.status_code == 200
    assert "https://courses.example.org/beta" in page.text
    for text in ("Leadership", "Emerging managers", "Scheduled (runs on set dates)", "Español"):
        assert text in page.text
    assert "Certificate of completion" in page.text
    assert "Edit" not in page.text
    assert client.get("/courses/999999").status_code == 404


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("python", ["Alpha"]),  # description; the retired Omega also says Python
        ("PYTHON", ["Alpha"]),
        ("aLpH", ["Alpha"]),  # title
        ("nnlm", ["Gamma"]),  # provider
        ("coursera", ["Beta", "Delta"]),
        ("chis level", ["Gamma"]),  # credential
        ("CERTIFICATE", ["Beta"]),
        ("  beginners  ", ["Delta"]),  # surrounding spaces are ignored
        ("nothing like this", []),
    ],
)
def test_text_search(client, catalogue, q, expected):
    assert _titles(client.get("/courses/", query_string={"q": q})) == expected


def test_search_treats_percent_and_underscore_as_text(app, client):
    add_course(app, "100% online", url="https://a.example.org/1")
    add_course(app, "1000 online", url="https://a.example.org/2")
    add_course(app, "snake_case tips", url="https://a.example.org/3")
    add_course(app, "snakeXcase tips", url="https://a.example.org/4")
    add_course(app, r"Back\slash", url="https://a.example.org/5")
    assert _titles(client.get("/courses/?q=%25")) == ["100% online"]
    assert _titles(client.get("/courses/?q=0%25")) == ["100% online"]
    assert _titles(client.get("/courses/?q=_")) == ["snake_case tips"]
    assert _titles(client.get("/courses/?q=e_c")) == ["snake_case tips"]
    assert _titles(client.get("/courses/?q=%5C")) == [r"Back\slash"]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"skill_area": "technology"}, ["Alpha", "Delta"]),
        ({"skill_area": "leadership"}, ["Beta"]),
        ({"provider": "Coursera"}, ["Beta", "Delta"]),
        ({"provider": "NNLM"}, ["Gamma"]),
        ({"language": "es"}, ["Beta"]),
        ({"format": "self_paced"}, ["Alpha", "Delta"]),
        ({"format": "on_demand_video"}, ["Gamma"]),
        ({"career_stage": "new_staff"}, ["Alpha"]),
        ({"career_stage": "all"}, ["Gamma"]),
        ({"credential": "y"}, ["Beta", "Gamma"]),
        ({"skill_area": "technology", "career_stage": "experienced_staff"}, ["Delta"]),
        ({"provider": "Coursera", "credential": "y", "q": "lead"}, ["Beta"]),
        ({"skill_area": "grant_writing"}, []),
    ],
)
def test_filters(client, catalogue, params, expected):
    assert _titles(client.get("/courses/", query_string=params)) == expected


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("title", ["Alpha", "Beta", "Delta", "Gamma"]),
        ("provider", ["Beta", "Delta", "Gamma", "Alpha"]),  # ties by title
        ("hours", ["Delta", "Gamma", "Alpha", "Beta"]),  # shortest first, no hours last
        ("newest", ["Alpha", "Gamma", "Delta", "Beta"]),
    ],
)
def test_sorts(client, catalogue, sort, expected):
    assert _titles(client.get("/courses/", query_string={"sort": sort})) == expected


def test_pagination_keeps_filters_and_ignores_stray_parameters(app, client):
    app.config["PER_PAGE"] = 2
    for n in range(5):
        add_course(app, f"Course {n}", skill_area="outreach")
    add_course(app, "Other area", skill_area="management")

    first = client.get("/courses/?skill_area=outreach&sort=title")
    assert _titles(first) == ["Course 0", "Course 1"]
    assert "5 courses" in first.text
    assert "Page 1 of 3" in first.text
    next_link = re.search(r'<a href="([^"]+)" rel="next">', first.text).group(1)
    assert "page=2" in next_link
    assert "skill_area=outreach" in next_link
    assert "sort=title" in next_link

    assert _titles(client.get(next_link.replace("&amp;", "&"))) == ["Course 2", "Course 3"]
    last = client.get("/courses/?skill_area=outreach&sort=title&page=3")
    assert _titles(last) == ["Course 4"]
    assert 'rel="next"' not in last.text
    assert 'rel="prev"' in last.text

    # A parameter that is not a filter never reaches the page links (it used to be a 500).
    stray = client.get("/courses/?endpoint=x&_external=1&_scheme=javascript&page=2")
    assert _titles(stray) == ["Course 2", "Course 3"]
    # (The language switch's hidden "next" is the address as asked, to come back to it.)
    links = re.sub(r'name="next" value="[^"]*"', "", stray.text)
    assert "endpoint=" not in links
    assert "javascript" not in links


def test_empty_states(app, client):
    empty = client.get("/courses/")
    assert "The catalogue is empty." in empty.text
    assert "0 courses" in empty.text

    add_course(app, "Only course")
    none = client.get("/courses/?q=zzz")
    assert _titles(none) == []
    assert "No course matches these filters." in none.text
    assert "The catalogue is empty." not in none.text
    assert "Only course" not in none.text
    assert _titles(client.get("/courses/")) == ["Only course"]


def test_retired_course_is_hidden_from_anonymous_visitors(client, catalogue):
    assert "Omega" not in _titles(client.get("/courses/"))
    assert "Omega" not in _titles(client.get("/courses/?retired=1"))
    # Staff may see it: a signed-out visitor is asked to sign in, and told nothing more.
    response = client.get(f"/courses/{catalogue['Omega']}")
    assert response.status_code == 302
    assert response.location.startswith("/login?next=")
    assert "Omega" not in response.text


def test_retired_course_is_hidden_from_participants(participant, catalogue):
    assert "Omega" not in _titles(participant.get("/courses/?retired=1"))
    assert participant.get(f"/courses/{catalogue['Omega']}").status_code == 404


def test_staff_see_retired_courses_only_when_asked(staff, catalogue):
    assert _titles(staff.get("/courses/")) == ["Alpha", "Beta", "Delta", "Gamma"]
    with_retired = staff.get("/courses/?retired=1")
    assert _titles(with_retired) == ["Alpha", "Beta", "Delta", "Gamma", "Omega"]
    assert '<p class="tag">Retired</p>' in with_retired.text
    assert _titles(staff.get("/courses/?retired=1&credential=y")) == ["Beta", "Gamma", "Omega"]
    page = staff.get(f"/courses/{catalogue['Omega']}")
    assert page.status_code == 200
    assert "This course is retired" in page.text


# --- adding and editing --------------------------------------------------------------------


def test_staff_add_a_course(staff, query):
    assert staff.get("/courses/new").status_code == 200
    response = staff.post("/courses/new", data=_form(credential="  Badge  "))
    assert response.status_code == 302
    course = query(lambda: db.session.scalars(sa.select(Course)).one())
    assert response.headers["Location"] == f"/courses/{course.id}"
    assert _rows(query) == [
        (
            "Python for Librarians",
            "Library Carpentry",
            "https://librarycarpentry.org/lc-python-intro/",
            "Scripts for everyday library data.",
            "en",
            "self_paced",
            6,
            True,
            "Badge",
            "technology",
            "all",
            False,
        )
    ]
    assert "Course added to the catalogue." in staff.get(response.headers["Location"]).text


def test_add_without_optional_fields(admin, query):
    response = admin.post(
        "/courses/new",
        data=_form(hours="", is_free=None, description=None, language="zh", format="scheduled"),
    )
    assert response.status_code == 302
    course = query(lambda: db.session.scalars(sa.select(Course)).one())
    assert (course.hours, course.is_free, course.description) == (None, False, "")
    assert (course.language, course.format) == ("zh", "scheduled")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"title": ""}, "This field is required."),
        ({"title": "   "}, "This field is required."),
        ({"title": "x" * 201}, "Field cannot be longer than 200 characters."),
        ({"provider": ""}, "This field is required."),
        ({"url": ""}, "This field is required."),
        ({"url": "javascript:alert(1)"}, URL_ERROR),
        ({"url": "ftp://x"}, URL_ERROR),
        ({"url": "/relative"}, URL_ERROR),
        ({"url": "https://"}, URL_ERROR),
        ({"url": "data:text/html,<script>alert(1)</script>"}, URL_ERROR),
        ({"url": "https://exa mple.org"}, URL_ERROR),
        ({"url": "http://[::1"}, URL_ERROR),  # urlsplit raises: used to be a 500
        ({"url": "https://example.org:port/"}, URL_ERROR),
        ({"url": "https://example.org/" + "x" * 500}, "cannot be longer than 500"),
        ({"hours": "0"}, HOURS_ERROR),
        ({"hours": "-1"}, HOURS_ERROR),
        ({"hours": "501"}, HOURS_ERROR),
        ({"hours": "0.2"}, HOURS_ERROR),
        ({"hours": "1.125"}, HOURS_ERROR),  # two decimals at most
        ({"hours": "abc"}, HOURS_ERROR),
        ({"hours": "NaN"}, HOURS_ERROR),
        ({"hours": "Infinity"}, HOURS_ERROR),
        ({"hours": "1e400"}, HOURS_ERROR),
        ({"skill_area": "cooking"}, "Not a valid choice."),
        ({"skill_area": None}, "Not a valid choice."),
        ({"format": "book"}, "Not a valid choice."),
        ({"language": "xx"}, "Not a valid choice."),
        ({"career_stage": "retired"}, "Not a valid choice."),
    ],
)
def test_bad_course_saves_nothing(admin, query, overrides, message):
    response = admin.post("/courses/new", data=_form(**overrides))
    assert response.status_code == 200
    assert message in _error(response)
    assert "Please correct the fields marked below." in response.text
    assert _count(query) == 0


def test_hours_at_the_limits_and_with_decimals_are_accepted(admin, query):
    for n, hours in enumerate(["0.25", "1.5", "2,5", "500"]):
        response = admin.post(
            "/courses/new", data=_form(hours=hours, url=f"https://a.example.org/{n}")
        )
        assert response.status_code == 302
    assert sorted(row[6] for row in _rows(query)) == [
        Decimal("0.25"),
        Decimal("1.5"),
        Decimal("2.5"),
        500,
    ]
    page = admin.get("/courses/?sort=hours").text
    assert "1.5 hours" in page
    assert "500 hours" in page


def test_duplicate_link_is_refused(admin, app, query):
    add_course(app, "First", url="https://librarycarpentry.org/lc-python-intro/")
    response = admin.post("/courses/new", data=_form())
    assert response.status_code == 200
    assert "Another course already has that link." in _error(response)
    assert _count(query) == 1
    assert [row[0] for row in _rows(query)] == ["First"]


def test_staff_edit_a_course(staff, app, query):
    course_id = add_course(app, "Old title", hours=3, credential="Old badge")
    form = staff.get(f"/courses/{course_id}/edit")
    assert form.status_code == 200
    assert 'value="Old title"' in form.text

    response = staff.post(
        f"/courses/{course_id}/edit",
        data=_form(
            title="New title",
            url="https://courses.example.org/old-title",  # its own link: no clash
            hours="",
            is_free=None,
            credential="",
            career_stage="new_staff",
        ),
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"/courses/{course_id}"
    course = _get(query, course_id)
    assert (course.title, course.hours, course.is_free, course.credential) == (
        "New title",
        None,
        False,
        "",
    )
    assert (course.provider, course.career_stage) == ("Library Carpentry", "new_staff")
    assert _count(query) == 1


def test_edit_onto_another_courses_link_is_refused(admin, app, query):
    add_course(app, "First", url="https://a.example.org/first")
    second = add_course(app, "Second", url="https://a.example.org/second")
    response = admin.post(
        f"/courses/{second}/edit", data=_form(title="Renamed", url="https://a.example.org/first")
    )
    assert response.status_code == 200
    assert "Another course already has that link." in _error(response)
    course = _get(query, second)
    assert (course.title, course.url) == ("Second", "https://a.example.org/second")


def test_edit_with_bad_input_changes_nothing(admin, app, query):
    course_id = add_course(app, "Keep me", hours=4)
    response = admin.post(f"/courses/{course_id}/edit", data=_form(title="", hours="501"))
    assert response.status_code == 200
    assert "This field is required." in _error(response)
    assert HOURS_ERROR in _error(response)
    course = _get(query, course_id)
    assert (course.title, course.hours) == ("Keep me", 4)


def test_staff_can_edit_a_retired_course(admin, app, query):
    course_id = add_course(app, "Old", retired_at=utcnow())
    response = admin.post(
        f"/courses/{course_id}/edit", data=_form(url="https://courses.example.org/old")
    )
    assert response.status_code == 302
    course = _get(query, course_id)
    assert (course.title, course.retired) == ("Python for Librarians", True)


def test_participant_may_not_change_the_catalogue(participant, app, query):
    course_id = add_course(app, "Untouched")
    assert participant.get("/courses/new").status_code == 403
    assert participant.post("/courses/new", data=_form()).status_code == 403
    assert participant.get(f"/courses/{course_id}/edit").status_code == 403
    assert participant.post(f"/courses/{course_id}/edit", data=_form()).status_code == 403
    assert participant.get(f"/courses/{course_id}/retire").status_code == 403
    assert participant.post(f"/courses/{course_id}/retire").status_code == 403
    assert participant.get("/courses/export.csv").status_code == 403
    assert participant.get("/courses/import").status_code == 403
    assert _upload(participant, _csv(HEADER, GOOD_ROW)).status_code == 403
    assert [(row[0], row[-1]) for row in _rows(query)] == [("Untouched", False)]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/courses/new"),
        ("post", "/courses/new"),
        ("get", "/courses/{id}/edit"),
        ("post", "/courses/{id}/edit"),
        ("get", "/courses/{id}/retire"),
        ("post", "/courses/{id}/retire"),
        ("get", "/courses/export.csv"),
        ("get", "/courses/import"),
        ("post", "/courses/import"),
    ],
)
def test_anonymous_visitor_is_sent_to_sign_in(client, app, query, method, path):
    course_id = add_course(app, "Untouched")
    response = getattr(client, method)(path.format(id=course_id), data=_form(title="Changed"))
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")
    assert [(row[0], row[-1]) for row in _rows(query)] == [("Untouched", False)]


# --- retiring ------------------------------------------------------------------------------


def test_admin_retires_and_brings_back_through_confirmation(admin, client, app, query):
    course_id = add_course(app, "Old course")
    confirm = admin.get(f"/courses/{course_id}/retire")
    assert confirm.status_code == 200
    assert "Retire “Old course”?" in confirm.text
    assert _get(query, course_id).retired_at is None  # a GET changes nothing

    response = admin.post(f"/courses/{course_id}/retire")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/courses/{course_id}"
    retired_at = _get(query, course_id).retired_at
    assert retired_at is not None
    assert abs(utcnow() - retired_at) < dt.timedelta(minutes=1)
    assert "Course retired." in admin.get(f"/courses/{course_id}").text
    assert _titles(admin.get("/courses/")) == []

    confirm = admin.get(f"/courses/{course_id}/retire")
    assert "Show “Old course” in the catalogue again?" in confirm.text
    assert _get(query, course_id).retired_at == retired_at
    admin.post(f"/courses/{course_id}/retire")
    assert _get(query, course_id).retired_at is None
    assert _titles(admin.get("/courses/")) == ["Old course"]


@pytest.mark.parametrize("role", ["facilitator", "manager"])
def test_only_admins_retire(factory, client, app, query, role):
    user = sign_in(factory, client, role)
    course_id = add_course(app, "Course")
    assert "Retire" not in user.get(f"/courses/{course_id}").text
    assert user.get(f"/courses/{course_id}/retire").status_code == 403
    assert user.post(f"/courses/{course_id}/retire").status_code == 403
    assert _get(query, course_id).retired_at is None


def test_retiring_a_missing_course_is_404(admin):
    assert admin.post("/courses/424242/retire").status_code == 404


# --- CSV export ----------------------------------------------------------------------------


def test_staff_export_the_live_catalogue(staff, catalogue):
    response = staff.get("/courses/export.csv")
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="courses.csv"'
    rows = _parse(response)
    assert tuple(rows[0]) == services.CSV_HEADER
    assert [row[0] for row in rows[1:]] == ["Alpha", "Beta", "Delta", "Gamma"]  # no Omega
    assert rows[2] == [
        "Beta",
        "Coursera",
        "https://courses.example.org/beta",
        "Leading teams through change",
        "es",
        "scheduled",
        "",
        "true",
        "Certificate of completion",
        "leadership",
        "emerging_managers",
    ]
    assert rows[4][6] == "2"


@pytest.mark.parametrize(
    "title", ['=HYPERLINK("http://evil")', "+1+1", "-5 quick tips", "@SUM(A1)"]
)
def test_export_neutralises_formulas(admin, app, title):
    add_course(app, title, description="=1+1")
    rows = _parse(admin.get("/courses/export.csv"))
    assert rows[1][0] == "'" + title
    assert rows[1][3] == "'=1+1"
    assert rows[1][1] == "Coursera"  # ordinary cells are left alone


def test_export_keeps_accents_and_emoji(admin, app):
    add_course(app, "Atención al público 📚", provider="Bibliothèque", description="中文 ✓")
    rows = _parse(admin.get("/courses/export.csv"))
    assert rows[1][:4] == [
        "Atención al público 📚",
        "Bibliothèque",
        "https://courses.example.org/atenci-n-al-p-blico",
        "中文 ✓",
    ]


# --- CSV import ----------------------------------------------------------------------------

GOOD_ROW = (
    "Weeding the Collection,WebJunction,https://www.webjunction.org/weeding,"
    '"Plans, criteria, gifts",en,self_paced,1,true,,collection_management,all'
)


def _save(client, preview):
    """Press the preview's save button."""
    token = re.search(r'name="upload" type="hidden" value="([^"]+)"', preview.text)
    assert token, "the preview offers no save button"
    return client.post("/courses/import/save", data={"upload": token.group(1)})


def _import(client, data: bytes):
    """Upload, check the preview has no problem, save."""
    preview = _upload(client, data)
    assert preview.status_code == 200
    assert "nothing will be saved" not in preview.text
    return _save(client, preview)


def _problems(response) -> list[tuple[str, ...]]:
    """The problems table: (line, column, value, problem, allowed) per row."""
    table = re.search(r'<table class="problems">(.*?)</table>', response.text, re.S)
    if table is None:
        return []
    rows = re.findall(r"<tr>(.*?)</tr>", table.group(1).split("<tbody>")[1], re.S)
    cells = [re.findall(r"<td>(.*?)</td>", row, re.S) for row in rows]
    return [tuple(re.sub(r"<[^>]+>", "", c).strip() for c in row) for row in cells]


def test_staff_import_a_good_file_after_a_preview(staff, query):
    data = _csv(
        HEADER,
        GOOD_ROW,
        "Curso de liderazgo,edX,https://www.edx.org/lider,,es,scheduled,2.5,no,Certificado,"
        "leadership,emerging_managers",
    )
    preview = _upload(staff, data)
    assert preview.status_code == 200
    assert "What will be saved" in preview.text
    assert "2 new, 0 updated" in preview.text
    assert _count(query) == 0  # the preview saves nothing
    response = _save(staff, preview)
    assert response.status_code == 302
    assert response.headers["Location"] == "/courses/"
    assert "Import done: 2 added, 0 updated." in staff.get("/courses/").text
    assert _rows(query) == [
        (
            "Curso de liderazgo",
            "edX",
            "https://www.edx.org/lider",
            "",
            "es",
            "scheduled",
            Decimal("2.5"),
            False,
            "Certificado",
            "leadership",
            "emerging_managers",
            False,
        ),
        (
            "Weeding the Collection",
            "WebJunction",
            "https://www.webjunction.org/weeding",
            "Plans, criteria, gifts",
            "en",
            "self_paced",
            1,
            True,
            "",
            "collection_management",
            "all",
            False,
        ),
    ]


def test_a_file_over_the_upload_limit_is_refused_with_the_limit_named(admin, app, query):
    header = b"title,provider,url,description,language,format,hours,is_free,credential,"
    rows = (GOOD_ROW.encode() + b"\r\n") * (app.config["MAX_CONTENT_LENGTH"] // len(GOOD_ROW))
    # The body is built here: werkzeug's test client would spool a big file to a temporary
    # file it never closes (a ResourceWarning, not the app's).
    body = (
        b'--b\r\nContent-Disposition: form-data; name="file"; filename="courses.csv"\r\n'
        b"Content-Type: text/csv\r\n\r\n"
        + header
        + b"skill_area,career_stage\r\n"
        + rows
        + b"\r\n--b--\r\n"
    )
    response = admin.post(
        "/courses/import", data=body, content_type="multipart/form-data; boundary=b"
    )
    assert response.status_code == 413
    assert "at most 2 MB can be sent at once" in response.text
    assert "A large CSV file can be split into smaller ones." in response.text
    assert query(lambda: db.session.scalar(sa.select(sa.func.count()).select_from(Course))) == 0


def test_import_updates_courses_by_link(admin, app, query):
    course_id = add_course(app, "Old title", url="https://www.webjunction.org/weeding", hours=9)
    preview = _upload(admin, _csv(HEADER, GOOD_ROW))
    assert "0 new, 1 updated" in preview.text
    assert "Update: title, provider, description, hours" in preview.text
    assert _save(admin, preview).status_code == 302
    assert "Import done: 0 added, 1 updated." in admin.get("/courses/").text
    course = _get(query, course_id)
    assert (course.title, course.hours, course.provider) == (
        "Weeding the Collection",
        1,
        "WebJunction",
    )
    assert _count(query) == 1


def test_export_then_import_round_trips(admin, app, query):
    add_course(
        app,
        "=SUM(1+1)",
        provider="+Provider",
        description='First line\nsecond line, with comma and "quotes" 📚',
        credential="@home",
        hours=None,
        is_free=False,
        language="fr",
        format="on_demand_video",
        career_stage="experienced_staff",
    )
    add_course(app, "'=already quoted", url="https://courses.example.org/quoted", hours=500)
    add_course(app, "-5 quick tips", description="Señales · Kreyòl", skill_area="outreach")
    add_course(app, "Half an hour", url="https://courses.example.org/half", hours=Decimal("0.5"))
    add_course(app, "Retired one", retired_at=utcnow())
    before = _rows(query)

    exported = admin.get("/courses/export.csv").data
    assert "'=SUM(1+1)" in exported.decode("utf-8")
    assert ",0.5," in exported.decode("utf-8")
    preview = _upload(admin, exported)
    assert preview.text.count("No change") == 4
    assert _save(admin, preview).status_code == 302
    assert "Import done: 0 added, 4 updated." in admin.get("/courses/").text
    assert _rows(query) == before  # formula cells restored, nothing duplicated

    # An edited export updates what changed.
    edited = exported.decode("utf-8").replace("'-5 quick tips", "Five quick tips").encode()
    assert _import(admin, edited).status_code == 302
    titles = [row[0] for row in _rows(query)]
    assert "Five quick tips" in titles
    assert "-5 quick tips" not in titles
    assert _count(query) == 5


def test_import_lists_every_problem_of_every_row_and_saves_nothing(admin, app, query):
    course_id = add_course(app, "Old title", url="https://www.webjunction.org/weeding")
    data = _csv(
        HEADER,
        GOOD_ROW,  # would update the course above
        "Bad link,P,javascript:alert(1),,en,self_paced,,true,,technology,all",
        "Bad area,P,https://x.example.org/1,,en,self_paced,,true,,cooking,all",
        "Bad free,P,https://x.example.org/2,,en,self_paced,,maybe,,technology,all",
        "Bad hours,P,https://x.example.org/3,,en,self_paced,0,true,,technology,all",
        ",,https://x.example.org/4,,xx,book,1.5,maybe,,cooking,retired",  # six at once
        "Good too,P,https://x.example.org/5,,en,self_paced,3,true,,technology,all",
        "Same link,P,https://x.example.org/5,,en,self_paced,3,true,,technology,all",
    )
    response = _upload(admin, data)
    assert response.status_code == 200
    assert "12 problems: nothing will be saved" in response.text
    problems = _problems(response)
    assert [(p[0], p[1]) for p in problems] == [
        ("3", "url"),
        ("4", "skill_area"),
        ("5", "is_free"),
        ("6", "hours"),
        ("7", "title"),
        ("7", "provider"),
        ("7", "language"),
        ("7", "format"),
        ("7", "is_free"),
        ("7", "skill_area"),
        ("7", "career_stage"),
        ("9", "url"),
    ]
    assert problems[0][2:4] == ("javascript:alert(1)", URL_ERROR)
    assert problems[2] == (
        "5",
        "is_free",
        "maybe",
        "Write true or false.",
        "true or false (yes/no, y/n and 1/0 work too).",
    )
    assert problems[3][2:] == ("0", HOURS_ERROR, "Empty, or between 0.25 and 500, like 2 or 1.5.")
    assert "One of: management, collection_management" in problems[1][4]
    assert problems[-1][3] == "This link is already on line 8."
    assert 'name="upload"' not in response.text  # no save button
    assert _count(query) == 1
    assert _get(query, course_id).title == "Old title"


def test_a_forged_or_foreign_preview_saves_nothing(admin, app, factory, client, query):
    preview = _upload(admin, _csv(HEADER, GOOD_ROW))
    token = re.search(r'name="upload" type="hidden" value="([^"]+)"', preview.text).group(1)
    for forged in (token[:-2] + "xx", "", "garbage", token.replace(".", "", 1)):
        response = admin.post("/courses/import/save", data={"upload": forged})
        assert response.status_code == 302
        assert response.headers["Location"] == "/courses/import"
    assert "That preview has expired or is not valid" in admin.get("/courses/import").text
    assert _count(query) == 0

    other = app.test_client()
    sign_in(factory, other, "facilitator")
    assert other.post("/courses/import/save", data={"upload": token}).status_code == 302
    assert _count(query) == 0


def test_import_problems_found_when_saving_are_shown(admin, app, query):
    """The file is checked again on saving: a course another import added with a link
    in between becomes an update, and nothing breaks."""
    preview = _upload(admin, _csv(HEADER, GOOD_ROW))
    add_course(app, "Added meanwhile", url="https://www.webjunction.org/weeding")
    assert _save(admin, preview).status_code == 302
    assert "Import done: 0 added, 1 updated." in admin.get("/courses/").text
    assert _count(query) == 1


def test_a_file_too_large_to_send_back_is_refused_clearly(admin, app, query):
    app.config["MAX_FORM_MEMORY_SIZE"] = 100 * 1024
    rows = [  # random titles: the file hardly compresses
        f"{secrets.token_hex(40)},P,https://x.example.org/{n},,en,self_paced,,true,,technology,all"
        for n in range(2000)
    ]
    response = _upload(admin, _csv(HEADER, *rows))
    assert response.status_code == 200
    assert "The file is too large to check at once: split it." in response.text
    assert 'name="upload"' not in response.text
    assert _count(query) == 0


def test_template_download_is_a_file_that_imports(staff, query):
    response = staff.get("/courses/import/template.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "courses-template.csv" in response.headers["Content-Disposition"]
    lines = response.data.decode("utf-8-sig").splitlines()
    assert lines[0] == HEADER
    assert len(lines) == 2
    assert ",1.5," in lines[1]
    assert _import(staff, response.data).status_code == 302
    assert _count(query) == 1


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (
            _csv("name,provider,url", GOOD_ROW),
            "courses.csv",
            "The first row must be: " + HEADER,
        ),
        (b"", "courses.csv", "The first row must be: " + HEADER),
        (
            HEADER.encode() + b"\r\nCaf\xe9,P,https://x.example.org/,,en,self_paced,,true,,"
            b"technology,all\r\n",
            "courses.csv",
            "The file is not UTF-8 text.",
        ),
        (
            _csv(
                HEADER,
                GOOD_ROW,
                "Same link,P,https://www.webjunction.org/weeding,,en,self_paced,,true,,"
                "technology,all",
            ),
            "courses.csv",
            "This link is already on line 2.",
        ),
        (_csv(HEADER), "courses.csv", "The file has no courses."),
        (_csv(HEADER, GOOD_ROW + ",extra"), "courses.csv", "This row has 1 cells too many."),
        (
            _csv(HEADER, 'T,P,https://x.example.org/,"' + "a" * 200_000),  # unclosed quote
            "courses.csv",
            "not readable as CSV",
        ),
        (_csv('"' + HEADER), "courses.csv", "The first row must be: "),
        (b"\x00\xff" * 100, "courses.csv", "The file is not UTF-8 text."),
        (
            _csv(HEADER, "\x00,P,https://x.example.org/,,en,self_paced,,true,,technology,all"),
            "courses.csv",
            "Remove the control character",
        ),
    ],
    ids=[
        "header",
        "zero-bytes",
        "latin-1",
        "duplicate-link",
        "header-only",
        "extra-cell",
        "unclosed-quote",
        "quote-in-header",
        "binary",
        "nul",
    ],
)
def test_bad_import_file(admin, query, data, filename, message):
    response = _upload(admin, data, filename)
    assert response.status_code == 200
    assert "nothing will be saved" in response.text
    assert message in response.text
    assert 'name="upload"' not in response.text
    assert _count(query) == 0


@pytest.mark.parametrize(
    ("filename", "message"),
    [("courses.xlsx", "Choose a .csv file."), ("courses", "Choose a .csv file.")],
)
def test_import_refuses_other_files(admin, query, filename, message):
    response = _upload(admin, _csv(HEADER, GOOD_ROW), filename)
    assert response.status_code == 200
    assert message in _error(response)
    assert _count(query) == 0


def test_import_without_a_file(admin, query):
    response = admin.post("/courses/import", data={}, content_type="multipart/form-data")
    assert response.status_code == 200
    assert "Choose a CSV file." in _error(response)
    assert _count(query) == 0


def test_import_page_shows_the_expected_header_and_the_template(staff):
    response = staff.get("/courses/import")
    assert response.status_code == 200
    assert f'<pre class="code">{HEADER}</pre>' in response.text
    assert 'href="/courses/import/template.csv"' in response.text


def test_import_accepts_byte_order_mark_and_yes_no_words(admin, query):
    data = "\ufeff".encode() + _csv(
        HEADER,
        "A,P,https://x.example.org/a,,en,self_paced,,YES,,technology,all",
        "B,P,https://x.example.org/b,,en,self_paced,,0,,technology,all",
        "C,P,https://x.example.org/c,,en,self_paced,,,,technology,all",
    )
    assert _import(admin, data).status_code == 302
    assert [(row[0], row[7]) for row in _rows(query)] == [("A", True), ("B", False), ("C", False)]


# --- demo data -----------------------------------------------------------------------------


def test_demo_courses_import_cleanly(app, query):
    data = (Path(services.__file__).parent / "demo_courses.csv").read_bytes()
    with app.app_context():
        added, updated = services.import_courses(data, CourseForm)
        db.session.commit()
    assert added >= 25
    assert updated == 0
    rows = _rows(query)
    assert len(rows) == added
    assert all(row[2].startswith("https://") for row in rows)
    assert all(row[0] and row[1] and row[9] for row in rows)
    with app.app_context():  # importing again only updates
        assert services.import_courses(data, CourseForm) == (0, added)
