"""Queries per request (issue 15): each page the benchmarks load asks the database the same
number of statements on a small statewide dataset and on one five times bigger (no N+1), and
never more than ten."""

from __future__ import annotations

import datetime as dt
import re

from flask import Flask
from flask.testing import FlaskClient

from app.seed import PASSWORD, seed
from bench.pages import ADMIN, MANAGER, Picked, pages, pick
from tests.conftest import _empty_all_tables, login
from tests.test_home import statements

SMALL, MID = 0.01, 0.05
MOST = 10  # the target: no page above ten queries
# Pages that miss it (bench/README.md says why); a fixed number all the same.
CEILING = {
    # Three reports on one page: the board's counts, the needs survey's year on year and the
    # heat map, each a handful of aggregates (pathway need shared by the board and the map).
    "demand board": 15,
}
TODAY = dt.datetime.now(dt.UTC).date()
# What a connection says to run a transaction, not a question to the database.
NOT_QUERIES = {"BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE"}


def _get(app: Flask, client: FlaskClient, path: str, status: int = 200, **headers):
    """The response and the number of statements it took (transaction control not counted)."""
    response, seen = statements(app, lambda: client.get(path, headers=headers))
    assert response.status_code == status, (path, response.status_code)
    return response, sum(s.split(None, 1)[0].upper() not in NOT_QUERIES for s in seen)


def _count(app: Flask, client: FlaskClient, path: str, shows: str = "", **headers) -> int:
    response, count = _get(app, client, path, **headers)
    assert re.search(shows, response.text), (path, shows)
    return count


def _feeds(app: Flask, client: FlaskClient, picked: Picked) -> dict[str, int]:
    """A feed built (nothing cached), served from the cache, and answered 304."""
    counts = {}
    for name, token in (("personal", picked.personal_feed), ("branch", picked.branch_feed)):
        path = f"/feeds/{token}.ics"
        first, counts[f"{name} feed first render"] = _get(app, client, path)
        assert first.text.count("BEGIN:VEVENT") > 2, name
        cached, counts[f"{name} feed cached"] = _get(app, client, path)
        assert cached.data == first.data
    etag = {"If-None-Match": first.headers["ETag"]}
    counts["branch feed 304"] = _get(app, client, path, 304, **etag)[1]
    return counts


def _signed_in(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    assert login(client, email, PASSWORD).status_code == 302, email
    return client


def _counts(app: Flask, scale: float) -> dict[str, int]:
    """Statements per page on the statewide dataset at ``scale``."""
    with app.app_context():
        _empty_all_tables()
        seed(scale, 2026, TODAY)
        picked = pick(dt.datetime.now(dt.UTC))
    app.config["PER_PAGE"] = 2  # a later page of the list even on the small data
    clients = {
        "admin": _signed_in(app, ADMIN),
        "manager": _signed_in(app, MANAGER),
        "lead": _signed_in(app, picked.lead),
        "anyone": app.test_client(),
    }
    counts = {
        page.name: _count(app, clients[page.who], page.path, page.shows)
        for page in pages(picked, TODAY)
    }
    return counts | _feeds(app, clients["anyone"], picked)


def test_pages_ask_as_many_queries_on_more_data_and_at_most_ten(app):
    small = _counts(app, SMALL)
    mid = _counts(app, MID)
    grown = {page: (small[page], mid[page]) for page in small if small[page] != mid[page]}
    assert not grown, f"queries grow with the data (small, mid): {grown}"
    over = {page: n for page, n in mid.items() if n > CEILING.get(page, MOST)}
    assert not over, f"pages above their most queries: {over}"
