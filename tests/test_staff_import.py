"""Administrators import staff accounts from CSV: every problem of every row listed, a preview
that saves nothing, then the accounts and their welcome emails in one go. Welcome links work
for a week (password-reset links for an hour)."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from app.admin.imports import CSV_HEADER
from app.auth.services import reset_token, user_for_reset_token
from app.extensions import db
from app.imports import sign_upload
from app.models import OutboxMessage, User
from app.timeutil import utcnow
from tests.conftest import login, sign_in

HEADER = ",".join(CSV_HEADER)
GOOD = [
    "Fay Facilitator,fay@example.org,facilitator,,America/Chicago,",
    "Manny Manager,Manny@Example.org,manager,main library,,es",
    "Ada Admin,ada@example.org,admin,,,",
    "Pat Participant,pat@example.org,participant,,Europe/Madrid,en",
]


def _csv(*lines: str) -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode()


def _upload(client, data: bytes, filename: str = "staff.csv", path: str = "/admin/people/import"):
    # Encoded here, in memory: the test client would spool a large body to a temporary file
    # that it never closes.
    boundary, body = encode_multipart({"file": FileStorage(io.BytesIO(data), filename)})
    return client.post(
        path,
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def _token(preview) -> str:
    match = re.search(r'name="upload" type="hidden" value="([^"]+)"', preview.text)
    assert match, "the preview offers no import button"
    return match.group(1)


def _save(client, preview):
    return client.post("/admin/people/import/save", data={"upload": _token(preview)})


def _problems(response) -> list[tuple[str, ...]]:
    """The problems table: (line, column, value, problem, allowed) per row."""
    table = re.search(r'<table class="problems">(.*?)</table>', response.text, re.S)
    if table is None:
        return []
    rows = re.findall(r"<tr>(.*?)</tr>", table.group(1).split("<tbody>")[1], re.S)
    cells = [re.findall(r"<td>(.*?)</td>", row, re.S) for row in rows]
    return [tuple(re.sub(r"<[^>]+>", "", c).strip() for c in row) for row in cells]


def _accounts(query) -> int:
    return query(lambda: db.session.scalar(sa.select(sa.func.count(User.id))))


def _emails_queued(query) -> list[str]:
    return query(
        lambda: list(db.session.scalars(sa.select(OutboxMessage.to).order_by(OutboxMessage.to)))
    )


@pytest.fixture
def main_branch(factory) -> int:
    return factory.branch("Main Library")


def test_admin_previews_then_imports_accounts_with_welcome_emails(admin, main_branch, query):
    preview = _upload(admin, _csv(HEADER, *GOOD))
    assert preview.status_code == 200
    assert "Accounts to create" in preview.text
    assert "Import 4 accounts" in preview.text
    assert "manny@example.org" in preview.text
    assert "manager (Main Library)" in preview.text
    assert _accounts(query) == 1  # only the admin: the preview saves nothing
    assert _emails_queued(query) == []

    response = _save(admin, preview)
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/users"
    page = admin.get("/admin/users").text
    assert "4 accounts created; each gets an email with a link to choose a password." in page

    def accounts():
        users = db.session.scalars(sa.select(User).where(User.id != admin.user_id))
        return {
            u.email: (
                u.name,
                u.is_facilitator,
                u.is_admin,
                [b.id for b in u.managed_branches],
                u.timezone,
                u.locale,
                u.active,
                u.password_hash is not None,
            )
            for u in users
        }

    assert query(accounts) == {
        "fay@example.org": (
            "Fay Facilitator",
            True,
            False,
            [],
            "America/Chicago",
            "en",
            True,
            True,
        ),
        "manny@example.org": (
            "Manny Manager",
            False,
            False,
            [main_branch],
            "America/New_York",
            "es",
            True,
            True,
        ),
        "ada@example.org": ("Ada Admin", False, True, [], "America/New_York", "en", True, True),
        "pat@example.org": ("Pat Participant", False, False, [], "Europe/Madrid", "en", True, True),
    }
    assert _emails_queued(query) == [
        "ada@example.org",
        "fay@example.org",
        "manny@example.org",
        "pat@example.org",
    ]
    mail = sa.select(OutboxMessage.to, OutboxMessage.body)
    bodies = dict(query(lambda: db.session.execute(mail).all()))
    assert all("/password/reset/" in body for body in bodies.values())
    assert all("for 7 days" in body for to, body in bodies.items() if to != "manny@example.org")
    assert "durante 7 días" in bodies["manny@example.org"]  # his language is Spanish


def test_every_problem_of_every_row_is_listed_and_nothing_is_saved(admin, factory, query):
    factory.branch("Main Library")
    factory.user("taken@example.org")
    data = _csv(
        HEADER,
        GOOD[0],  # fine
        ",not-an-email,boss,Atlantis,Mars/Base,xx,Gotham",  # six problems at once
        "Two,fay@example.org,participant,,,",  # the email is on line 2
        "Three,TAKEN@example.org,facilitator,,,",  # already an account
        "Four,four@example.org,manager,,,",  # a manager without a branch
        "Five,five@example.org,facilitator,Main Library,,",  # a branch for a non-manager
        "X" * 121 + ",six@example.org,participant,,,",  # too long
        "Seven,,participant,,,",  # no email
        "Eight,eight@example.org,participant,,,,,extra",  # a cell too many
    )
    response = _upload(admin, data)
    assert response.status_code == 200
    assert "14 problems: nothing will be saved" in response.text
    problems = _problems(response)
    assert [p[:2] for p in problems] == [
        ("3", "name"),
        ("3", "email"),
        ("3", "role"),
        ("3", "branch"),
        ("3", "timezone"),
        ("3", "locale"),
        ("3", "home_branch"),
        ("4", "email"),
        ("5", "email"),
        ("6", "branch"),
        ("7", "branch"),
        ("8", "name"),
        ("9", "email"),
        ("10", "whole row"),
    ]
    by_place = {(p[0], p[1]): p for p in problems}
    assert by_place[("3", "home_branch")][2:4] == ("Gotham", "No branch has this name.")
    assert "Main Library" in by_place[("3", "home_branch")][4]
    assert by_place[("3", "name")][2:4] == ("empty", "This field is required.")
    assert by_place[("3", "email")][2:4] == ("not-an-email", "Enter a valid email address.")
    assert by_place[("3", "role")][2:] == (
        "boss",
        "Unknown role.",
        "One of: participant, facilitator, manager, admin.",
    )
    assert by_place[("3", "branch")][2:4] == ("Atlantis", "No branch has this name.")
    assert "Main Library" in by_place[("3", "branch")][4]
    assert by_place[("3", "timezone")][2:4] == ("Mars/Base", "Unknown time zone.")
    assert by_place[("3", "locale")][2:] == (
        "xx",
        "Unknown language.",
        "Empty (en), or one of: en, es.",
    )
    assert by_place[("4", "email")][3] == "This email is already on line 2."
    assert by_place[("5", "email")][2:4] == (
        "TAKEN@example.org",
        "There is already an account with this email.",
    )
    assert by_place[("6", "branch")][3] == "A manager needs the branch they manage."
    assert by_place[("7", "branch")][3] == (
        "Only a manager has a branch: leave it empty for this role."
    )
    assert by_place[("8", "name")][3] == "Field cannot be longer than 120 characters."
    assert by_place[("10", "whole row")][3] == "This row has 1 cells too many."
    assert "The rows without problems" in response.text
    assert 'name="upload"' not in response.text  # no import button
    assert _accounts(query) == 2
    assert _emails_queued(query) == []


def test_the_home_branch_column_sets_where_people_work_and_may_be_left_out(
    admin, main_branch, factory, query
):
    kendall = factory.branch("Kendall")
    preview = _upload(
        admin,
        _csv(
            HEADER,
            "Wendy Worker,wendy@example.org,participant,,,,main library",
            "Mo Manager,mo@example.org,manager,Kendall,,,Main Library",
            "Nell None,nell@example.org,facilitator,,,,",
        ),
    )
    assert "<td>Main Library</td>" in preview.text
    assert _save(admin, preview).status_code == 302
    # Without the column (a file made before it existed): accounts without a home branch.
    legacy = ",".join(CSV_HEADER[:-1])
    old_file = _upload(admin, _csv(legacy, "Olga Old,olga@example.org,participant,,,"))
    assert _problems(old_file) == []
    assert _save(admin, old_file).status_code == 302

    def homes():
        users = db.session.scalars(sa.select(User).where(User.id != admin.user_id))
        return {u.email: (u.home_branch_id, [b.id for b in u.managed_branches]) for u in users}

    assert query(homes) == {
        "wendy@example.org": (main_branch, []),
        "mo@example.org": (main_branch, [kendall]),
        "nell@example.org": (None, []),
        "olga@example.org": (None, []),
    }


def test_importing_the_same_file_again_creates_nothing(admin, main_branch, query):
    data = _csv(HEADER, *GOOD)
    assert _save(admin, _upload(admin, data)).status_code == 302
    assert _accounts(query) == 5

    again = _upload(admin, data)
    assert "4 problems: nothing will be saved" in again.text
    assert [(p[0], p[1], p[3]) for p in _problems(again)] == [
        (str(line), "email", "There is already an account with this email.") for line in range(2, 6)
    ]
    assert 'name="upload"' not in again.text
    assert _accounts(query) == 5
    assert len(_emails_queued(query)) == 4


def test_an_account_made_between_preview_and_import_stops_the_import(admin, factory, query):
    preview = _upload(admin, _csv(HEADER, GOOD[0], GOOD[2]))
    factory.user("ada@example.org")
    response = _save(admin, preview)
    assert response.status_code == 200  # the file's problem now, shown as at the preview
    assert _problems(response)[0][:4] == (
        "3",
        "email",
        "ada@example.org",
        "There is already an account with this email.",
    )
    assert 'name="upload"' not in response.text
    assert _accounts(query) == 2  # the admin and the one made meanwhile: Fay is not created
    assert _emails_queued(query) == []


def test_welcome_link_works_for_seven_days_and_reset_link_for_an_hour(app, admin, client, query):
    assert _save(admin, _upload(admin, _csv(HEADER, GOOD[0]))).status_code == 302
    body = query(lambda: db.session.scalars(sa.select(OutboxMessage.body)).one())
    token = re.search(r"/password/reset/(\S+)", body).group(1)
    now = utcnow()
    with app.app_context():
        fay = db.session.scalar(sa.select(User).filter_by(email="fay@example.org"))
        assert user_for_reset_token(token, now + dt.timedelta(days=6)) == fay
        assert user_for_reset_token(token, now + dt.timedelta(days=8)) is None
        assert user_for_reset_token(token, now - dt.timedelta(minutes=5)) is None  # not yet made
        reset = reset_token(fay)
        assert user_for_reset_token(reset, now + dt.timedelta(minutes=50)) == fay
        assert user_for_reset_token(reset, now + dt.timedelta(hours=2)) is None
        assert user_for_reset_token(token, now + dt.timedelta(hours=2)) == fay
    app.config["WELCOME_LINK_DAYS"] = 10
    with app.app_context():
        assert user_for_reset_token(token, now + dt.timedelta(days=8)) is not None

    # The link opens the page that sets the password, once.
    page = client.get(f"/password/reset/{token}")
    assert page.status_code == 200
    done = client.post(
        f"/password/reset/{token}",
        data={"password": "a long new password", "confirm": "a long new password"},
    )
    assert done.status_code == 302
    assert client.get(f"/password/reset/{token}").status_code == 302  # used: dead


@pytest.mark.parametrize("role", ["participant", "facilitator", "manager"])
def test_only_admins_import_accounts(factory, client, query, role):
    sign_in(factory, client, role)
    assert client.get("/admin/people/import").status_code == 403
    assert client.get("/admin/people/import/template.csv").status_code == 403
    assert _upload(client, _csv(HEADER, GOOD[0])).status_code == 403
    assert client.post("/admin/people/import/save", data={"upload": "x"}).status_code == 403
    assert _accounts(query) == 1


def test_a_forged_or_foreign_preview_creates_nothing(admin, app, factory, query):
    preview = _upload(admin, _csv(HEADER, GOOD[0]))
    token = _token(preview)
    for forged in (token[:-2] + "xx", "garbage", ""):
        response = admin.post("/admin/people/import/save", data={"upload": forged})
        assert response.status_code == 302
        assert response.headers["Location"] == "/admin/people/import"
    other = app.test_client()
    factory.user("other@example.org", is_admin=True)
    login(other, "other@example.org")
    assert other.post("/admin/people/import/save", data={"upload": token}).status_code == 302
    # A catalogue import's token is not a staff import's, though both are signed by the app.
    with app.test_request_context():
        course_token = sign_upload(_csv(HEADER, GOOD[0]), admin.user_id, "catalog-import")
    response = admin.post("/admin/people/import/save", data={"upload": course_token})
    assert response.headers["Location"] == "/admin/people/import"
    assert _accounts(query) == 2
    assert _emails_queued(query) == []


def test_template_download_is_a_file_that_imports(admin, query):
    response = admin.get("/admin/people/import/template.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "staff-template.csv" in response.headers["Content-Disposition"]
    lines = response.data.decode("utf-8-sig").splitlines()
    assert lines[0] == HEADER
    assert len(lines) == 2
    assert _save(admin, _upload(admin, response.data)).status_code == 302
    assert _accounts(query) == 2
    assert len(_emails_queued(query)) == 1


def test_people_page_links_to_the_import(admin):
    page = admin.get("/admin/users").text
    assert 'href="/admin/people/import"' in page
    form = admin.get("/admin/people/import").text
    assert f'<pre class="code">{HEADER}</pre>' in form
    assert 'href="/admin/people/import/template.csv"' in form


def test_a_file_at_the_row_limit_previews(admin, query):
    rows = [f"P{n},p{n}@example.org,participant,,," for n in range(2000)]
    response = _upload(admin, _csv(HEADER, *rows))
    assert response.status_code == 200
    assert "Import 2000 accounts" in response.text
    assert _accounts(query) == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            _csv(HEADER, *(f"P{n},p{n}@example.org,participant,,," for n in range(2001))),
            "The file has more than 2000 rows: split it into smaller files.",
        ),
        (
            _csv(HEADER, "A" * (1024 * 1024) + ",a@example.org,participant,,,"),
            "The file is larger than 1 MB: split it into smaller files.",
        ),
        (_csv("name,email,role", "A,a@example.org,admin"), "The first row must be: " + HEADER),
        (b"", "The first row must be: " + HEADER),
        (_csv(HEADER), "The file has no accounts."),
        (HEADER.encode() + b"\r\nJos\xe9,j@example.org,admin,,,\r\n", "The file is not UTF-8"),
        (_csv(HEADER, 'A,"a@example.org' + "x" * 200_000), "not readable as CSV"),
        (_csv(HEADER, "A\x00,a@example.org,admin,,,"), "Remove the control character"),
    ],
    ids=["rows", "bytes", "header", "zero-bytes", "header-only", "latin-1", "quote", "nul"],
)
def test_bad_files_are_refused_clearly(admin, query, data, message):
    response = _upload(admin, data)
    assert response.status_code == 200
    assert "nothing will be saved" in response.text
    assert message in response.text
    assert 'name="upload"' not in response.text
    assert _accounts(query) == 1


def test_a_file_that_is_not_csv_is_refused(admin, query):
    response = _upload(admin, _csv(HEADER, GOOD[0]), "staff.xlsx")
    assert response.status_code == 200
    assert "Choose a .csv file." in response.text
    assert _accounts(query) == 1


def test_the_catalogue_import_has_the_same_limits(admin, query):
    """Both imports read files through app.imports: the limits are the same."""
    header = "title,provider,url,description,language,format,hours,is_free,credential,"
    header += "skill_area,career_stage"
    rows = [
        f"T{n},P,https://x.example.org/{n},,en,self_paced,,true,,technology,all"
        for n in range(2001)
    ]
    response = _upload(admin, _csv(header, *rows), "courses.csv", "/courses/import")
    assert response.status_code == 200
    assert "The file has more than 2000 rows: split it into smaller files." in response.text
    assert 'name="upload"' not in response.text
