"""Benchmark: the slowest SQL statements of the benchmarked pages on PostgreSQL.

Loads the statewide dataset (`flask seed-scale`) into a throwaway embedded PostgreSQL, migrated
to ``--revision`` (``0017`` shows the plans before the statewide indexes of migration 0018),
requests each page of bench/pages.py and the two feeds once through Flask's test client,
keeping every SELECT it sends with its parameters, then runs EXPLAIN (ANALYZE, BUFFERS) on
each three times (the fastest counts: the machine may be busy) and prints the slowest with
their plans.

Run: PYTHONPATH=. .venv/bin/python bench/slow_queries.py [--scale 1.0] [--top 3]
     [--revision head] [--plans/--no-plans]
"""

from __future__ import annotations

import sys

if not __package__:  # `python bench/slow_queries.py`: bench/http.py would hide the stdlib's http
    sys.path.pop(0)

import argparse
import datetime as dt
import re
import time
from dataclasses import dataclass

import sqlalchemy as sa
from flask import Flask
from flask_migrate import upgrade

from app.extensions import db
from app.seed import PASSWORD, seed
from bench.pages import ADMIN, MANAGER, Page, pages, pick
from bench.servers import bench_app, database

RUNS = 3  # EXPLAIN ANALYZE runs per statement; the fastest counts (the machine is shared)


@dataclass
class Statement:
    page: str
    sql: str
    parameters: object
    ms: float = 0.0
    plan: str = ""


def build(url: str, scale: float, revision: str) -> Flask:
    app = bench_app(url)
    with app.app_context():
        upgrade(revision=revision)
        started = time.perf_counter()
        seed(scale, 2026)
        db.session.commit()
        db.session.execute(sa.text("ANALYZE"))
        db.session.commit()
        print(
            f"seeded scale {scale} at revision {revision} in {time.perf_counter() - started:.0f} s"
        )
    return app


def requested(app: Flask) -> list[Statement]:
    """Every SELECT the pages send, with the page that sent it."""
    with app.app_context():
        picked = pick(dt.datetime.now(dt.UTC))
        engine = db.engine
    today = dt.datetime.now(dt.UTC).date()
    feeds = [
        Page("personal feed", "anyone", f"/feeds/{picked.personal_feed}.ics"),
        Page("branch feed", "anyone", f"/feeds/{picked.branch_feed}.ics"),
    ]
    clients = {"anyone": app.test_client()}
    for who, email in (("admin", ADMIN), ("manager", MANAGER), ("lead", picked.lead)):
        clients[who] = app.test_client()
        clients[who].post("/login", data={"email": email, "password": PASSWORD})
    seen: list[Statement] = []
    page_name = ""

    def record(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append(Statement(page_name, statement, parameters))

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        for page in pages(picked, today) + feeds:
            page_name = page.name
            response = clients[page.who].get(page.path)
            assert response.status_code == 200, (page.path, response.status_code)
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    return seen


def explain(app: Flask, statements: list[Statement]) -> None:
    with app.app_context(), db.engine.connect() as conn:
        for found in statements:
            found.ms = float("inf")
            for _ in range(RUNS):
                rows = conn.exec_driver_sql(
                    "EXPLAIN (ANALYZE, BUFFERS) " + found.sql, found.parameters
                ).all()
                plan = "\n".join(row[0] for row in rows)
                ms = float(re.search(r"Execution Time: ([\d.]+) ms", plan).group(1))
                if ms < found.ms:
                    found.ms, found.plan = ms, plan
            conn.rollback()


def report(statements: list[Statement], top: int, plans: bool) -> None:
    print(f"{'page':<24}{'statements':>11}{'SQL ms (sum)':>14}{'slowest ms':>12}")
    for name in dict.fromkeys(s.page for s in statements):
        mine = [s.ms for s in statements if s.page == name]
        print(f"{name:<24}{len(mine):>11}{sum(mine):>14.2f}{max(mine):>12.2f}")
    slowest = sorted(statements, key=lambda s: s.ms, reverse=True)[:top]
    for n, found in enumerate(slowest, 1):
        print(f"\n#{n} {found.ms:.2f} ms, {found.page}:")
        print(" ".join(found.sql.split()))
        print(f"parameters: {found.parameters}")
        if plans:
            print(found.plan)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--top", type=int, default=3)
    parser.add_argument("--revision", default="head")
    parser.add_argument("--plans", action=argparse.BooleanOptionalAction, default=True)
    args = parser.parse_args()
    with database("postgresql") as url:
        app = build(url, args.scale, args.revision)
        statements = requested(app)
        explain(app, statements)
        report(statements, args.top, args.plans)
        with app.app_context():
            db.engine.dispose()


if __name__ == "__main__":
    main()
