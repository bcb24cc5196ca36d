"""Benchmark: where a page's time goes, in process, on the demo data.

Loads the demo (`flask demo load`) into a throwaway SQLite file, then times N requests of
each page through Flask's test client against two baselines served the same way in the same
process: a bare "hello" route and the floor page (a tiny Flask app that selects 20 courses
with SQLAlchemy and renders them in a Jinja table, on the same database). Prints ms per
request and the throughput ratios: HTML pages against the floor (target ≥ 0.7), feeds against
hello (304 ≥ 0.5, cached 200 ≥ 0.4). Figures are noisy on a shared machine: only the ratios
of one run mean anything.

Run: .venv/bin/python -m bench.profile_pages [-n 200] [--profile PAGE]
(``--profile course_list`` runs cProfile over N requests and prints the top 25 by cumulative
time; PAGE is one of the names in the table.)
"""

from __future__ import annotations

import sys

if not __package__:  # run as a file (make bench): bench/http.py would hide the stdlib's http
    sys.path.pop(0)

import argparse
import cProfile
import pstats
import shutil
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa
from flask import Flask, render_template_string
from flask_migrate import upgrade

from app.demo import DEMO_PASSWORD as PASSWORD
from app.extensions import db
from app.models import Circle, Course, User
from bench.servers import bench_app

FLOOR = """<!doctype html><title>Courses</title><table>
<tr><th>Title</th><th>Provider</th><th>Skill area</th><th>Language</th></tr>
{% for c in courses %}<tr><td>{{ c.title }}</td><td>{{ c.provider }}</td>
<td>{{ c.skill_area }}</td><td>{{ c.language }}</td></tr>{% endfor %}</table>"""


def baselines(url: str) -> Flask:
    """The hello route and the floor page: the same Jinja and database, nothing else."""
    tiny = Flask("floor")
    engine = sa.create_engine(url)

    @tiny.get("/hello")
    def hello():
        return "hello"

    @tiny.get("/floor")
    def floor():
        with sa.orm.Session(engine) as session:
            courses = session.scalars(sa.select(Course).order_by(Course.title).limit(20)).all()
            return render_template_string(FLOOR, courses=courses)

    return tiny


def build(folder: Path) -> tuple[Flask, str]:
    url = f"sqlite:///{folder / 'demo.sqlite'}"
    app = bench_app(url)
    with app.app_context():
        upgrade()
    result = app.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    return app, url


def pages(app: Flask) -> dict[str, tuple[str, str | None, dict]]:
    """name -> (path, who signs in, extra headers)."""
    with app.app_context():
        course = db.session.scalar(sa.select(Course.id).order_by(Course.id))
        circle = db.session.scalar(
            sa.select(Circle.id).where(Circle.audience == "public").order_by(Circle.id)
        )
    feed = f"/circles/{circle}/calendar.ics"
    etag = app.test_client().get(feed).headers["ETag"]
    return {
        "healthz": ("/healthz", None, {}),  # the app's own fixed cost of a request
        "home": ("/", None, {}),
        "course_list": ("/courses/", None, {}),
        "course_page": (f"/courses/{course}", None, {}),
        "circle_list": ("/circles/", None, {}),
        "circle_page": (f"/circles/{circle}", None, {}),
        "reports": ("/reports/", "admin@example.org", {}),
        "feed_200": (feed, None, {}),
        "feed_304": (feed, None, {"If-None-Match": etag}),
    }


def client_for(app: Flask, who: str | None):
    client = app.test_client()
    if who:
        response = client.post("/login", data={"email": who, "password": PASSWORD})
        assert response.status_code == 302, response.status_code
    return client


def timed(client, path: str, headers: dict, n: int) -> float:
    """Best of three runs of n requests, in ms of this process's CPU time per request (the
    database is SQLite, in process: other work on a shared machine disturbs it less than
    wall-clock time)."""
    expected = 304 if "If-None-Match" in headers else 200
    assert client.get(path, headers=headers).status_code == expected, path
    best = float("inf")
    for _ in range(3):
        started = time.process_time()
        for _ in range(n):
            client.get(path, headers=headers)
        best = min(best, (time.process_time() - started) * 1000 / n)
    return best


TARGETS = {"healthz": "", "feed_200": "≥ 0.4× hello", "feed_304": "≥ 0.5× hello"}


def table(app: Flask, tiny: Flask, n: int, only: list[str] | None = None) -> None:
    plain = tiny.test_client()
    hello = timed(plain, "/hello", {}, n)
    floor = timed(plain, "/floor", {}, n)
    print(f"{'page':<14}{'ms/req':>9}{'× floor':>9}{'× hello':>9}  target")
    print(f"{'hello':<14}{hello:>9.2f}{floor / hello:>9.2f}{1:>9.2f}")
    print(f"{'floor':<14}{floor:>9.2f}{1:>9.2f}{hello / floor:>9.2f}")
    for name, (path, who, headers) in pages(app).items():
        if only and name not in only:
            continue
        ms = timed(client_for(app, who), path, headers, n)
        target = TARGETS.get(name, "≥ 0.7× floor")
        print(f"{name:<14}{ms:>9.2f}{floor / ms:>9.2f}{hello / ms:>9.2f}  {target}")


def profile(app: Flask, name: str, n: int) -> None:
    path, who, headers = pages(app)[name]
    client = client_for(app, who)
    client.get(path, headers=headers)
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(n):
        client.get(path, headers=headers)
    profiler.disable()
    stats = pstats.Stats(profiler).strip_dirs().sort_stats("cumulative")
    stats.print_stats(25)
    stats.sort_stats("tottime").print_stats(15)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=200, help="requests per timing (default 200)")
    parser.add_argument("--profile", metavar="PAGE", help="cProfile one page instead")
    parser.add_argument("--pages", help="time only these pages (comma-separated names)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="profile-pages-"))
    try:
        app, url = build(folder)
        with app.app_context():
            assert db.session.scalar(sa.select(sa.func.count(User.id)))
        if args.profile:
            profile(app, args.profile, args.n)
        else:
            table(app, baselines(url), args.n, args.pages.split(",") if args.pages else None)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
