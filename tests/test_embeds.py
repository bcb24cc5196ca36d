"""Embeds for a library's website (issue 16): the upcoming public circles and one circle's card
as pages for an <iframe>, framed only by the origins an administrator lists (CSP
``frame-ancestors``; every other page keeps ``'none'``), and the admin page that lists them and
gives the code to paste."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa

from app.circles import services
from app.embeds import origins
from app.extensions import db
from app.models import Circle, EmbedOrigin, User
from app.rules import RuleViolation
from app.timeutil import utcnow
from tests.conftest import login, sign_in

LIST_URL = "/embed/circles"


def _allow(query, *listed: str) -> None:
    """List these origins, as the admin page does (through the service)."""

    def add():
        admin = db.session.scalar(sa.select(User).where(User.is_admin))
        for text in listed:
            origins.add(text, admin, utcnow())
        db.session.commit()

    query(add)


def _circles(world, *many: dict) -> list[int]:
    """Circles of Lena Lead, each at its own hour of the Tuesdays (none clashes)."""
    return [world.circle(start_time=dt.time(9 + 2 * n), **fields) for n, fields in enumerate(many)]


def _frame_ancestors(response) -> str:
    policy = response.headers["Content-Security-Policy"]
    (directive,) = [d.strip() for d in policy.split(";") if "frame-ancestors" in d]
    return directive


# --- who may frame what ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("listed", "expected"),
    [
        ((), "frame-ancestors 'none'"),
        (("https://library.example",), "frame-ancestors https://library.example"),
        (
            ("https://library.example", "HTTP://Branch.Example:8080/"),
            "frame-ancestors https://library.example http://branch.example:8080",
        ),
    ],
    ids=["none", "one", "two"],
)
def test_embed_pages_are_framed_by_exactly_the_listed_origins(
    client, world, query, listed, expected
):
    circle = world.circle(audience="public", title="Grants together")
    _allow(query, *listed)
    for path in (LIST_URL, f"{LIST_URL}/{circle}", f"{LIST_URL}/{circle + 99}"):
        response = client.get(path)
        assert response.status_code in (200, 404), path
        assert _frame_ancestors(response) == expected, path
        # X-Frame-Options cannot name an origin: it stays away once one is listed.
        assert response.headers.get("X-Frame-Options") == (None if listed else "DENY"), path
        # The rest of the policy is every page's.
        assert "default-src 'self'" in response.headers["Content-Security-Policy"]
        assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]
    # Every other page keeps refusing frames, whatever is listed.
    for path in ("/", "/circles/", f"/circles/{circle}", "/login"):
        response = client.get(path)
        assert _frame_ancestors(response) == "frame-ancestors 'none'", path
        assert response.headers["X-Frame-Options"] == "DENY", path


def test_an_origin_removed_stops_framing_at_once(client, world, query):
    admin = client
    login(admin, "admin@example.org")
    _allow(query, "https://library.example")
    assert _frame_ancestors(admin.get(LIST_URL)) == "frame-ancestors https://library.example"
    origin_id = query(lambda: db.session.scalar(sa.select(EmbedOrigin.id)))
    page = admin.get(f"/admin/embeds/{origin_id}/remove").text
    assert "Remove https://library.example?" in page  # asked first: nothing removed yet
    assert query(lambda: db.session.scalar(sa.select(sa.func.count(EmbedOrigin.id)))) == 1
    response = admin.post(f"/admin/embeds/{origin_id}/remove")
    assert response.status_code == 302
    assert (
        "https://library.example may no longer show the embeds." in admin.get("/admin/embeds").text
    )
    assert _frame_ancestors(admin.get(LIST_URL)) == "frame-ancestors 'none'"
    assert admin.post(f"/admin/embeds/{origin_id}/remove").status_code == 404


# --- what an origin may be -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "origin"),
    [
        ("https://library.example", "https://library.example"),
        ("  HTTPS://Library.EXAMPLE/ ", "https://library.example"),
        ("https://library.example:443", "https://library.example"),
        ("http://library.example:80/", "http://library.example"),
        ("http://127.0.0.1:8123", "http://127.0.0.1:8123"),
        ("https://www.bibliothèque.example", "https://www.xn--bibliothque-59a.example"),
    ],
)
def test_an_origin_is_kept_normalised(app, text, origin):
    with app.test_request_context():
        assert origins.normalise(text) == origin


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "Enter the website's address."),
        ("library.example", "The address must start with https:// or http://."),
        ("ftp://library.example", "The address must start with https:// or http://."),
        ("javascript:alert(1)", "The address must start with https:// or http://."),
        ("https://*.library.example", "Wildcards are not allowed: name each website."),
        ("https://library.example/events", "Only the website itself: no path, query or #"),
        ("https://library.example/?a=1", "Only the website itself: no path, query or #"),
        ("https://library.example#top", "Only the website itself: no path, query or #"),
        ("https://ana:pw@library.example", "A user name or password is not allowed."),
        ("https://library.example:99999", "This is not a web address."),
        ("https://library.example:http", "This is not a web address."),
        ("https://[::1]:8080", "This host name is not valid."),
        ("https://lib_rary.example", "This host name is not valid."),
        ("https://library..example", "This host name is not valid."),
        ("https://library.example;script-src", "This host name is not valid."),
        ("https://library.example:0", "This port is not valid."),
    ],
)
def test_an_origin_that_is_not_one_is_refused_with_what_to_write(app, text, problem):
    with app.test_request_context(), pytest.raises(RuleViolation) as refused:
        origins.normalise(text)
    assert refused.value.field == "origin"
    assert refused.value.message.startswith(problem)
    assert "Write it as https://library.example" in refused.value.message


def test_the_admin_adds_an_origin_and_sees_each_refusal_beside_the_field(admin, query):
    page = admin.get("/admin/embeds").text
    assert "No website may show the embeds yet" in page
    response = admin.post("/admin/embeds", data={"origin": "https://library.example/events"})
    assert response.status_code == 200
    assert re.search(r'class="error" id="origin-error">Only the website itself', response.text)
    assert query(lambda: db.session.scalar(sa.select(sa.func.count(EmbedOrigin.id)))) == 0

    response = admin.post("/admin/embeds", data={"origin": "HTTPS://Library.Example:443/"})
    assert response.status_code == 302
    page = admin.get("/admin/embeds").text
    assert "https://library.example may now show the embeds." in page
    assert "<code>https://library.example</code>" in page
    assert "Alex Admin" in page
    assert "No website may show the embeds yet" not in page

    # The same website written another way is a duplicate, refused and not stored twice.
    response = admin.post("/admin/embeds", data={"origin": "https://library.example"})
    assert response.status_code == 409
    assert "https://library.example is already allowed." in response.text
    assert query(lambda: db.session.scalar(sa.select(sa.func.count(EmbedOrigin.id)))) == 1


def test_the_admin_page_gives_the_code_to_paste_with_the_filters_chosen(client, world, app):
    admin = client
    login(admin, "admin@example.org")
    public, staff_only = _circles(
        world,
        {"audience": "public", "title": "Grants together"},
        {"audience": "staff", "title": "Staff grants"},
    )
    app.config["BASE_URL"] = "https://circles.example.org"
    page = admin.get(
        "/admin/embeds",
        query_string={"branch": world.branch, "skill_area": "grant_writing"},
        headers={"Host": "circles.test"},
    ).text
    base = "https://circles.example.org/embed/circles"
    assert (
        f"&lt;iframe src=&#34;{base}?branch={world.branch}&amp;amp;skill_area=grant_writing&#34; "
        "title=&#34;Upcoming learning circles&#34; width=&#34;100%&#34;" in page
    )
    # Only circles an embed can show are offered for a card; none is chosen yet.
    assert "Grants together (Main Library)" in page
    assert "Staff grants" not in page
    assert "Choose a circle above to get the code of its card." in page
    page = admin.get("/admin/embeds", query_string={"circle": public}).text
    assert (
        f"&lt;iframe src=&#34;{base}/{public}&#34; title=&#34;Grants together&#34; "
        "width=&#34;100%&#34;" in page
    )
    # A circle the embed would not show gets no code.
    page = admin.get("/admin/embeds", query_string={"circle": staff_only}).text
    assert f"{base}/{staff_only}" not in page


@pytest.mark.parametrize("role", ["participant", "facilitator", "manager"])
def test_only_admins_reach_the_embeds_page(factory, client, query, role):
    origin_id = query(lambda: _stored(EmbedOrigin(origin="https://library.example")))
    sign_in(factory, client, role)
    for path in ("/admin/embeds", f"/admin/embeds/{origin_id}/remove"):
        assert client.get(path).status_code == 403, path
        assert client.post(path, data={"origin": "https://evil.example"}).status_code == 403
    assert query(lambda: db.session.scalars(sa.select(EmbedOrigin.origin)).all()) == [
        "https://library.example"
    ]


def test_visitors_are_asked_to_sign_in_for_the_embeds_page(client):
    response = client.get("/admin/embeds")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def _stored(row):
    db.session.add(row)
    db.session.commit()
    return row.id


# --- what the embeds show --------------------------------------------------------------------


def test_the_list_shows_public_circles_still_to_meet_and_takes_its_filters(client, world, query):
    grants, *_, cancelled = _circles(
        world,
        {"audience": "public", "title": "Grants at Main"},
        {"audience": "public", "title": "Computers at Main", "course_id": world.spanish},
        {
            "audience": "public",
            "title": "Grants at Kendall",
            "branch_id": world.other_branch,
            "room_id": None,
        },
        {"audience": "staff", "title": "Staff only grants"},
        {"audience": "public", "title": "Draft grants", "publish": False},
        {"audience": "public", "title": "Cancelled grants"},
    )
    query(lambda: (services.cancel_circle(db.session.get(Circle, cancelled)), db.session.commit()))

    def titles(**args) -> set[str]:
        response = client.get(LIST_URL, query_string=args)
        assert response.status_code == 200
        return set(re.findall(r"<h2>([^<]+)</h2>", response.text))

    everything = {"Grants at Main", "Computers at Main", "Grants at Kendall"}
    assert titles() == everything
    assert titles(branch=world.branch) == {"Grants at Main", "Computers at Main"}
    assert titles(skill_area="grant_writing") == {"Grants at Main", "Grants at Kendall"}
    assert titles(course=world.spanish) == {"Computers at Main"}
    assert titles(branch=world.other_branch, course=world.spanish) == set()
    assert titles(branch=world.branch + 1000) == set()
    # A signed-in staff member sees in the embed what the library's visitors see.
    login(client, "pat@example.org")
    assert titles() == everything
    page = client.get(LIST_URL).text
    assert f'href="http://circles.test/circles/{grants}" target="_blank" rel="noopener"' in page


@pytest.mark.parametrize(
    "args",
    [{"branch": "main"}, {"skill_area": "knitting"}, {"course": "9" * 30}],
    ids=["branch", "skill_area", "course"],
)
def test_a_list_with_filters_that_are_not_valid_says_so(client, world, args):
    response = client.get(LIST_URL, query_string=args)
    assert response.status_code == 400
    assert "This list's filters are not valid" in response.text


def test_only_a_public_published_circle_has_a_card(client, world, query):
    staff_only, draft, cancelled = _circles(
        world,
        {"audience": "staff"},
        {"audience": "public", "publish": False},
        {"audience": "public"},
    )
    query(lambda: (services.cancel_circle(db.session.get(Circle, cancelled)), db.session.commit()))
    for circle_id in (staff_only, draft, cancelled, cancelled + 100):
        response = client.get(f"{LIST_URL}/{circle_id}")
        assert response.status_code == 404, circle_id
        assert "This circle is not listed (any more)." in response.text
    # A signed-in facilitator who may see the draft still gets no card for it.
    login(client, "lead@example.org")
    assert client.get(f"{LIST_URL}/{draft}").status_code == 404
    assert client.get(f"{LIST_URL}/{staff_only}").status_code == 404


def test_a_card_links_to_the_circle_from_base_url_and_needs_no_cookie(client, world, app):
    circle = world.circle(audience="public", title="Grants together", capacity=3)
    app.config["BASE_URL"] = "https://circles.example.org"
    response = client.get(f"{LIST_URL}/{circle}", headers={"Accept-Language": "en"})
    assert response.status_code == 200
    page = response.text
    assert '<html lang="en">' in page
    assert "<h1>Grants together</h1>" in page
    assert "3 seats left" in page
    assert "4 meetings to come" in page
    assert (
        f'<a class="button" href="https://circles.example.org/circles/{circle}" '
        'target="_blank" rel="noopener">Join the circle' in page
    )
    assert "Set-Cookie" not in response.headers
    # Nothing of the app around it: no navigation, no script, no form.
    assert "<nav" not in page
    assert "<script" not in page
    assert "<form" not in page
    assert "circles.test" not in page


def test_an_embed_follows_the_browsers_language(client, world):
    world.circle(audience="public", title="Grants together")
    page = client.get(LIST_URL, headers={"Accept-Language": "es"}).text
    assert '<html lang="es">' in page
    assert "<h1>Próximos círculos de aprendizaje</h1>" in page
