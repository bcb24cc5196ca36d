"""The read API (/api/v1): filters, cursor pages, ETags, JSON errors, what visitors may not
see, and its OpenAPI document; schemathesis against a live server (gunicorn) on both
databases: no 5xx and every answer as the document says."""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
import sqlalchemy as sa
from openapi_spec_validator import validate

from app import create_app
from app.api import tokens
from app.extensions import db
from app.models import Circle, Course, Meeting, Pathway, PathwayStep, User
from app.timeutil import utcnow
from tests.live import Client, gunicorn, migrate

ROOT = Path(__file__).resolve().parent.parent


def items(client, path: str) -> list[dict]:
    response = client.get(path)
    assert response.status_code == 200, response.text
    return response.json["items"]


def titles(client, path: str) -> list[str]:
    return sorted(i.get("title") or i["name"] for i in items(client, path))


def walk(client, path: str) -> tuple[list[int], int]:
    """Every item's id following ``next`` links from ``path``; and how many pages it took."""
    seen, pages, url = [], 0, path
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.text
        seen += [i["id"] for i in response.json["items"]]
        pages += 1
        url = response.json["next"]
        if url:
            assert url.startswith(client.application.config["BASE_URL"] + "/api/v1/")
    return seen, pages


def assert_error(response, status: int, code: str, *words: str) -> None:
    assert response.status_code == status, response.text
    assert response.mimetype == "application/json"
    error = response.json["error"]
    assert error["code"] == code
    for word in words:
        assert word in error["message"]


# --- courses -------------------------------------------------------------------------------


def test_courses_take_the_catalogues_filters(client, catalogue):
    assert titles(client, "/api/v1/courses") == ["Alpha", "Beta", "Delta", "Gamma"]  # not Omega
    assert titles(client, "/api/v1/courses?skill_area=technology") == ["Alpha", "Delta"]
    assert titles(client, "/api/v1/courses?career_stage=new_staff") == ["Alpha"]
    assert titles(client, "/api/v1/courses?format=scheduled") == ["Beta"]
    assert titles(client, "/api/v1/courses?language=es") == ["Beta"]
    assert titles(client, "/api/v1/courses?q=PYTHON") == ["Alpha"]
    assert titles(client, "/api/v1/courses?skill_area=technology&q=spreadsheets") == ["Delta"]
    gamma = client.get(f"/api/v1/courses/{catalogue['Gamma']}").json
    assert gamma["credential"] == "CHIS Level I"
    assert gamma["hours"] == 2.0
    assert_error(client.get(f"/api/v1/courses/{catalogue['Omega']}"), 404, "not_found")
    assert_error(client.get("/api/v1/courses?skill_area=astrology"), 400, "bad_request", "skill")


def test_a_walk_through_the_pages_sees_every_course_exactly_once(client, app, catalogue):
    with app.app_context():
        for n in range(7):
            db.session.add(
                Course(
                    title=f"Extra {n}",
                    provider="P",
                    url=f"https://e.org/{n}",
                    skill_area="management",
                )
            )
        db.session.commit()
        live = set(db.session.scalars(sa.select(Course.id).where(Course.retired_at.is_(None))))
    seen, pages = walk(client, "/api/v1/courses?limit=2")
    assert len(seen) == len(set(seen)) == 11
    assert set(seen) == live
    assert pages == 6
    # The filters stay on every page.
    seen, pages = walk(client, "/api/v1/courses?limit=1&skill_area=technology")
    assert len(seen) == 2
    assert pages == 2


@pytest.mark.parametrize("limit", ["0", "101", "-3", "ten", "1.5", ""])
def test_a_bad_limit_is_a_json_400(client, limit):
    assert_error(client.get(f"/api/v1/courses?limit={limit}"), 400, "bad_request", "limit")


def _token(text: bytes) -> str:
    return base64.urlsafe_b64encode(text).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage!",
        "x",
        _token(b"not json"),
        _token(b'{"after": -1}'),
        _token(b'{"after": "3"}'),
        _token(b"[1]"),
        _token(b'{"after": 99999999999}'),
        "A" * 201,
    ],
)
def test_a_cursor_the_api_did_not_give_is_a_json_400(client, cursor):
    assert_error(client.get(f"/api/v1/courses?cursor={cursor}"), 400, "bad_request", "cursor")


# --- circles -------------------------------------------------------------------------------


def _started_public_circle(app, world) -> int:
    """A public circle whose first meeting is over and whose second is ahead."""
    now = utcnow()
    with app.app_context():
        circle = Circle(
            title="Under way",
            course_id=world.spanish,
            branch_id=world.other_branch,
            timezone="America/New_York",
            capacity=8,
            enrolled_count=3,
            audience="public",
            status="published",
            format="virtual",
            meetings=[
                Meeting(
                    starts_at=now - dt.timedelta(days=7),
                    ends_at=now - dt.timedelta(days=7, hours=-1),
                ),
                Meeting(
                    starts_at=now + dt.timedelta(days=7),
                    ends_at=now + dt.timedelta(days=7, hours=1),
                ),
            ],
        )
        db.session.add(circle)
        db.session.commit()
        return circle.id


@pytest.fixture
def circles(app, world) -> dict[str, int]:
    return {
        "public": world.circle(audience="public", title="Open to all", capacity=12),
        "staff": world.circle(world.co, audience="staff", title="Staff only"),
        "draft": world.circle(
            audience="public", publish=False, title="Not yet", start_time=dt.time(10)
        ),
        "started": _started_public_circle(app, world),
    }


def test_only_public_published_circles_appear_and_the_others_are_not_found(client, circles):
    listed = items(client, "/api/v1/circles")
    assert sorted(c["id"] for c in listed) == sorted([circles["public"], circles["started"]])
    for hidden in ("staff", "draft"):
        assert_error(client.get(f"/api/v1/circles/{circles[hidden]}"), 404, "not_found")
    assert_error(client.get("/api/v1/circles/999999"), 404, "not_found")


def test_signed_in_people_get_the_same_public_answer(client, factory, circles):
    factory.user("reader@example.org")
    client.post("/login", data={"email": "reader@example.org", "password": "password"})
    assert {c["id"] for c in items(client, "/api/v1/circles")} == {
        circles["public"],
        circles["started"],
    }
    assert client.get(f"/api/v1/circles/{circles['staff']}").status_code == 404


def test_a_circle_shows_its_meetings_and_open_seats(client, circles, world):
    circle = client.get(f"/api/v1/circles/{circles['public']}").json
    assert circle["open_seats"] == 12
    assert circle["capacity"] == 12
    assert circle["branch_id"] == world.branch
    assert circle["course_id"] == world.course
    assert len(circle["meetings"]) == 4
    starts = [m["starts_at"] for m in circle["meetings"]]
    assert starts == sorted(starts)
    assert circle["url"].endswith(f"/circles/{circles['public']}")
    started = client.get(f"/api/v1/circles/{circles['started']}").json
    assert started["open_seats"] == 5


def test_circle_filters(client, circles, world):
    def ids(query: str) -> set[int]:
        return {c["id"] for c in items(client, f"/api/v1/circles?{query}")}

    assert ids(f"branch={world.branch}") == {circles["public"]}
    assert ids(f"branch={world.other_branch}") == {circles["started"]}
    assert ids(f"course={world.spanish}") == {circles["started"]}
    assert ids("skill_area=grant_writing") == {circles["public"]}
    assert ids("format=virtual") == {circles["started"]}
    assert ids("format=hybrid") == set()
    assert ids("upcoming=true") == {circles["public"]}
    assert ids("upcoming=false") == {circles["public"], circles["started"]}
    assert ids("q=under") == {circles["started"]}
    assert_error(client.get("/api/v1/circles?branch=abc"), 400, "bad_request", "branch")


# --- branches, rooms, pathways -------------------------------------------------------------


def test_branches_and_rooms_show_public_fields_only(client, world, app):
    with app.app_context():
        db.session.execute(sa.text("UPDATE room SET setup_minutes = 15"))
        db.session.commit()
    branches = items(client, "/api/v1/branches")
    assert [b["name"] for b in branches] == ["Main Library", "Kendall"]
    main = client.get(f"/api/v1/branches/{world.branch}").json
    assert set(main) == {"id", "name", "slug", "address", "timezone", "hours"}
    assert main["hours"][0] == {"weekday": 0, "opens": "09:00", "closes": "21:00"}
    assert len(main["hours"]) == 6
    rooms = items(client, f"/api/v1/rooms?branch={world.branch}")
    assert sorted(r["name"] for r in rooms) == ["Lab", "Study"]
    assert set(rooms[0]) == {"id", "branch_id", "name", "capacity", "features", "bookable"}
    assert items(client, f"/api/v1/rooms?branch={world.other_branch}") == []
    assert_error(client.get("/api/v1/branches/424242"), 404, "not_found")


def test_published_pathways_with_their_steps_in_order(client, app, world):
    with app.app_context():
        published = Pathway(name="Grants path", career_stage="new_staff", status="published")
        published.steps = [
            PathwayStep(position=2, skill_area="leadership", optional=True),
            PathwayStep(position=1, course_id=world.course),
        ]
        draft = Pathway(name="Draft path", career_stage="new_staff", status="draft")
        retired = Pathway(name="Old path", career_stage="all", status="retired")
        db.session.add_all([published, draft, retired])
        db.session.commit()
        ids = published.id, draft.id, retired.id
    listed = items(client, "/api/v1/pathways")
    assert [p["name"] for p in listed] == ["Grants path"]
    steps = listed[0]["steps"]
    assert [(s["position"], s["kind"], s["name"]) for s in steps] == [
        (1, "course", "Grant Writing Basics"),
        (2, "skill_area", "skill area leadership"),
    ]
    assert steps[1]["optional"] is True
    assert items(client, "/api/v1/pathways?career_stage=all") == []
    assert client.get(f"/api/v1/pathways/{ids[0]}").json["name"] == "Grants path"
    for hidden in ids[1:]:
        assert_error(client.get(f"/api/v1/pathways/{hidden}"), 404, "not_found")


# --- caching, errors, limits ---------------------------------------------------------------


def test_etag_and_304(client, app, catalogue):
    first = client.get("/api/v1/courses")
    etag = first.headers["ETag"]
    assert etag
    assert first.headers["Cache-Control"] == "no-cache"
    again = client.get("/api/v1/courses", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == etag
    one = client.get(f"/api/v1/courses/{catalogue['Alpha']}")
    assert (
        client.get(
            f"/api/v1/courses/{catalogue['Alpha']}", headers={"If-None-Match": one.headers["ETag"]}
        ).status_code
        == 304
    )
    with app.app_context():
        db.session.get(Course, catalogue["Alpha"]).title = "Alpha, revised"
        db.session.commit()
    changed = client.get("/api/v1/courses", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag


def test_errors_under_api_are_json_and_the_site_keeps_its_pages(client):
    assert_error(client.post("/api/v1/courses"), 405, "method_not_allowed")
    assert_error(client.get("/api/v1/nothing"), 404, "not_found")
    page = client.get("/no-such-page")
    assert page.status_code == 404
    assert page.mimetype == "text/html"


def test_the_api_is_rate_limited(client, app):
    app.config["API_LIMITS"] = "3 per minute"
    statuses = [client.get("/api/v1/branches").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = client.get("/api/v1/courses")
    assert_error(response, 429, "too_many_requests")
    assert int(response.headers["Retry-After"]) > 0


# --- the document --------------------------------------------------------------------------


def test_the_openapi_document_is_valid_3_1_and_covers_every_operation(client, app):
    doc = client.get("/api/v1/openapi.json").json
    assert doc["openapi"].startswith("3.1")
    validate(doc)  # raises on an invalid document
    assert doc["servers"] == [{"url": app.config["BASE_URL"]}]
    api_rules = {
        rule.rule.replace("<int:", "{").replace(">", "}")
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("api.") and rule.endpoint not in ("api.openapi", "api.docs")
    }
    assert set(doc["paths"]) == api_rules
    limit = doc["paths"]["/api/v1/courses"]["get"]["parameters"][0]
    assert limit["name"] == "limit"
    assert limit["schema"]["maximum"] == 100


def test_the_docs_page_lists_the_operations_without_third_party_scripts(client):
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    html = page.text
    assert "GET /api/v1/circles/{circle_id}" in html
    assert "/api/v1/openapi.json" in html
    assert '<script src="http' not in html
    assert "cdn" not in html.lower()


# --- schemathesis against a live server ----------------------------------------------------


def test_schemathesis_finds_no_server_error_and_no_answer_off_the_schema(
    fresh_database_url, tmp_path
):
    migrate(fresh_database_url)
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": fresh_database_url, "SECRET_KEY": "x", "TESTING": True}
    )
    result = app.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Circle.id))) > 0
        secret = write_token(app, "admin@example.org")  # every scope, every page allowed
        # A meeting under way or held, and its circle: the writes reach the services' rules
        # instead of a 404 for an id that is not there.
        meeting = db.session.scalars(
            sa.select(Meeting).where(Meeting.starts_at <= utcnow()).order_by(Meeting.id)
        ).first()
        ids = {"path.meeting_id": meeting.id, "path.circle_id": meeting.circle_id}
        db.session.remove()
        db.engine.dispose()
    env = {"API_LIMITS": "100000 per minute", "API_WRITE_LIMITS": "100000 per minute"}
    with gunicorn(
        fresh_database_url,
        workers=1,
        threads=4,
        ratelimit_storage="memory://",
        env=env,
        race_window=0,  # no race is proved here: writes need not wait
    ) as base:
        location = f"http://{base}/api/v1/openapi.json"
        run = schemathesis(location, tmp_path, "--exclude-method", "POST", "-n", "25")
        assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
        assert "Tested: 9" in run.stdout, run.stdout[-3000:]  # every read, none skipped
        assert "No issues found" in run.stdout, run.stdout[-3000:]
        # Without a token every write operation is a 401, whatever the body.
        with urllib.request.urlopen(location) as served:
            doc = json.load(served)
        writes = [path for path, methods in doc["paths"].items() if "post" in methods]
        assert len(writes) == 5
        anonymous = Client(base)
        for path in writes:
            path = path.replace("{circle_id}", "1").replace("{meeting_id}", "1")
            assert anonymous.post(path, {"room_id": "1"}).status == 401, path
        # With a working token the writes go through the services: no 5xx, as documented.
        (tmp_path / "writes").mkdir()
        (tmp_path / "writes" / "schemathesis.toml").write_text(
            # No other methods tried on these paths (the reads' run does that): less time.
            "warnings = false\n[phases.coverage]\nunexpected-methods = []\n[parameters]\n"
            + "".join(f'"{name}" = {value}\n' for name, value in ids.items())
        )
        bearer = f"Authorization: Bearer {secret}"
        writing = schemathesis(
            location, tmp_path / "writes", "--include-method", "POST", "-n", "5", "-H", bearer
        )
        assert writing.returncode == 0, writing.stdout[-6000:] + writing.stderr[-2000:]
        assert "Tested: 5" in writing.stdout, writing.stdout[-3000:]
        assert "No issues found" in writing.stdout, writing.stdout[-3000:]
        # The control: a document that says a branch's id is a string is caught lying.
        doc["components"]["schemas"]["Branch"]["properties"]["id"] = {"type": "string"}
        (tmp_path / "wrong.json").write_text(json.dumps(doc))
        control = schemathesis(
            str(tmp_path / "wrong.json"),
            tmp_path,
            *("--url", f"http://{base}", "--include-path", "/api/v1/branches", "-n", "5"),
        )
        assert control.returncode != 0, control.stdout[-3000:]
        assert "Response violates schema" in control.stdout, control.stdout[-3000:]


def write_token(app, email: str) -> str:
    """A token of ``email``'s with every scope they could use (app/api/tokens.py)."""
    with app.test_request_context():
        user = db.session.scalar(sa.select(User).where(User.email == email))
        _token, secret = tokens.create(user, "schemathesis", tokens.scopes_for(user), 1)
        db.session.commit()
    return secret


def schemathesis(location: str, cwd: Path, *options: str) -> subprocess.CompletedProcess:
    """schemathesis's command line, bounded and the same every run (deterministic data)."""
    return subprocess.run(
        [
            str(Path(sys.executable).with_name("schemathesis")),
            "run",
            location,
            "--checks",
            "not_a_server_error,status_code_conformance,content_type_conformance,"
            "response_schema_conformance,response_headers_conformance",
            "--generation-deterministic",
            "--workers",
            "1",
            "--phases",
            "examples,coverage,fuzzing",
            *options,
        ],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=cwd,
        env={**os.environ, "NO_COLOR": "1"},
    )
