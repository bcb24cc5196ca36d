"""Benchmark: the app's pages under load (wrk), as ratios to a bare Flask "hello" and to the
floor page (bench/baselines.py), all three served the same way in the same run.

For each dataset (the statewide one from `flask seed-scale` in SQLite and in an embedded
PostgreSQL, and `flask demo load` in SQLite), it serves the app with `gunicorn -c gunicorn.conf.py
-w 4` on 127.0.0.1 (rate limits in a throwaway redis-server, LOG_LEVEL=WARNING), signs in over
HTTP as the dataset's admin, manager, facilitator and busiest participant, picks real ids from
the database, and runs `wrk` against each page. It prints one table per dataset (and writes them
to bench/results-http.md): requests/s, p50/p95/p99 latency, and the ratios, with the issue's
targets marked ok/MISS. It never asserts: figures on a shared machine are noisy.

Run: make bench, or PYTHONPATH=. .venv/bin/python -m bench.http [--scale 0.2] [--duration 3]
Needs wrk (apt-get install wrk) and redis-server (apt-get install redis-server).
"""

from __future__ import annotations

import sys

if not __package__:  # `python bench/http.py`: its folder comes first and hides the stdlib's http
    sys.path.pop(0)

import argparse
import datetime as dt
import math
import os
import re
import shutil
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass

import sqlalchemy as sa

from app.demo import DEMO_PASSWORD
from app.seed import PASSWORD as SEED_PASSWORD
from bench.servers import READY, ROOT, NotServing, build, database, fetch, gunicorn
from tests.live import Client, redis_server

LUA = ROOT / "bench" / "latency.lua"
RESULTS = ROOT / "bench" / "results-http.md"
MAX_SECONDS = 15  # of wrk for the slowest pages


@dataclass
class Dataset:
    name: str
    url: str
    domain: str  # of the admin@, manager@ and facilitator@ accounts
    password: str
    report_p95: float | None = None  # ms: the limit for reports (statewide, PostgreSQL)


@dataclass
class Endpoint:
    name: str
    path: str
    cookie: str = ""
    headers: tuple[str, ...] = ()
    expect: int = 200
    target: str = "page"  # page: ≥ 0.7× floor; "304": ≥ 0.5× hello; "200": ≥ 0.4× hello; "": none
    p95_limit: float | None = None  # ms


@dataclass
class Result:
    endpoint: Endpoint
    rps: float = 0.0
    p50: float = 0.0
    p95: float = 0.0
    p99: float = 0.0
    alone: float = 0.0  # ms of one request on an idle server (the fastest of three)
    seconds: int = 0  # of wrk
    problem: str = ""


# --- what to measure -------------------------------------------------------------------------


def one(url: str, sql: str, **params):
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text(sql), params).scalar()
    finally:
        engine.dispose()


def sign_in(base: str, email: str, password: str) -> str:
    client = Client(base)
    client.login(email, password)
    return client.cookie


def feed_link(base: str, cookie: str, scope: str, target: int | None = None) -> str:
    """A new secret feed link from the Subscribe page, as its owner makes one."""
    client = Client(base, cookie)
    form = {"csrf_token": client.csrf("/calendar/"), "scope": scope}
    if target is not None:
        form["target"] = str(target)
    page = client.post("/calendar/", form).text
    match = re.search(r"/feeds/([A-Za-z0-9_-]+)\.ics", page)
    if not match:
        raise NotServing(f"no {scope} feed link on /calendar/")
    return f"/feeds/{match.group(1)}.ics"


def endpoints(base: str, data: Dataset) -> list[Endpoint]:
    url = data.url
    admin = sign_in(base, f"admin@{data.domain}", data.password)
    manager = sign_in(base, f"manager@{data.domain}", data.password)
    facilitator = sign_in(base, f"facilitator@{data.domain}", data.password)
    branch = one(
        url,
        'SELECT bm.branch_id FROM branch_manager bm JOIN "user" u ON u.id = bm.user_id '
        "WHERE u.email = :email ORDER BY bm.branch_id LIMIT 1",
        email=f"manager@{data.domain}",
    )
    circle = one(
        url,
        "SELECT c.id FROM circle c JOIN meeting m ON m.circle_id = c.id "
        "WHERE c.status = 'published' GROUP BY c.id ORDER BY count(*) DESC, c.id LIMIT 1",
    )
    course = one(
        url, "SELECT course_id FROM circle GROUP BY course_id ORDER BY count(*) DESC LIMIT 1"
    )
    pathway = one(
        url,
        "SELECT pathway_id FROM pathway_member GROUP BY pathway_id "
        "ORDER BY count(*) DESC, pathway_id LIMIT 1",
    ) or one(url, "SELECT min(id) FROM pathway")
    participant = one(
        url,
        'SELECT u.email FROM enrollment e JOIN "user" u ON u.id = e.user_id '
        "WHERE e.status IN ('enrolled', 'completed') AND u.active AND u.password_hash IS NOT NULL "
        "GROUP BY u.email ORDER BY count(*) DESC, u.email LIMIT 1",
    )
    # The filtered list's 40th page, or its last if it has fewer.
    listing = "/circles/?format=in_person"
    first = fetch(base, listing, manager)[2]
    pages = re.search(r"Page 1 of (\d+)", first)
    listing += f"&page={min(40, int(pages.group(1)) if pages else 1)}"
    branch_feed = feed_link(base, manager, "branch", branch)
    etag = fetch(base, branch_feed)[1].get("ETag", "")
    found = [
        Endpoint("home (manager)", "/", manager),
        Endpoint(f"circle list {listing.removeprefix('/circles/')}", listing, manager),
        Endpoint(f"circle page {circle}", f"/circles/{circle}", manager),
        Endpoint(f"course page {course}", f"/courses/{course}", manager),
        Endpoint(f"branch week grid {branch}", f"/branches/{branch}/calendar", manager),
        Endpoint("facilitator dashboard", "/facilitate/", facilitator),
        Endpoint(
            f"branch report {branch}",
            f"/reports/?branch={branch}",
            manager,
            p95_limit=data.report_p95,
        ),
        Endpoint("admin report", "/reports/", admin, p95_limit=data.report_p95),
        Endpoint("demand board (manager)", "/demand", manager),
    ]
    if pathway:
        found.append(
            Endpoint(f"pathway progress {pathway} (admin)", f"/pathways/{pathway}/progress", admin)
        )
    found += [
        Endpoint("branch feed 200 (cached)", branch_feed, target="200"),
        Endpoint(
            "branch feed 304",
            branch_feed,
            headers=(f"If-None-Match: {etag}",),
            expect=304,
            target="304",
        ),
    ]
    if participant:
        person = sign_in(base, participant, data.password)
        found.append(
            Endpoint("personal feed 200", feed_link(base, person, "personal"), target="200")
        )
    return found


# --- measuring -------------------------------------------------------------------------------


@dataclass
class Load:
    threads: int
    connections: int
    duration: int
    workers: int


def wrk(base: str, endpoint: Endpoint, load: Load, seconds: int) -> Result:
    command = ["wrk", f"-t{load.threads}", f"-c{load.connections}", f"-d{seconds}s"]
    command += ["--timeout", "10s", "-s", str(LUA)]
    headers = list(endpoint.headers) + ([f"Cookie: {endpoint.cookie}"] if endpoint.cookie else [])
    for header in headers:
        command += ["-H", header]
    output = subprocess.run(  # noqa: S603
        [*command, f"http://{base}{endpoint.path}"], capture_output=True, text=True, check=False
    ).stdout
    match = re.search(r"^BENCH (.*)$", output, re.MULTILINE)
    if not match:
        return Result(endpoint, problem="wrk said: " + " ".join(output.split())[:120])
    got = {k: int(v) for k, v in (p.split("=") for p in match.group(1).split())}
    problem = ""
    if got["errors"] or got["status_errors"]:
        problem = f"{got['status_errors']} bad answers, {got['errors']} socket errors"
    return Result(
        endpoint,
        rps=got["requests"] / (got["duration_us"] / 1e6),
        p50=got["p50"] / 1000,
        p95=got["p95"] / 1000,
        p99=got["p99"] / 1000,
        problem=problem,
    )


def get(base: str, endpoint: Endpoint) -> int:
    return fetch(base, endpoint.path, endpoint.cookie, endpoint.headers)[0]


def timed(base: str, endpoint: Endpoint) -> float:
    """Milliseconds of one request."""
    started = time.perf_counter()
    get(base, endpoint)
    return (time.perf_counter() - started) * 1000


def settle(base: str) -> None:
    """Wait until the requests wrk left queued are served: a cheap page answers at once."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        started = time.perf_counter()
        fetch(base, READY[base])
        if time.perf_counter() - started < 0.05:
            return
        time.sleep(0.2)


def measure(base: str, endpoint: Endpoint, load: Load) -> Result:
    """One checked request (its status), every worker warmed up by a small burst, the fastest
    of three requests on the idle server, then wrk; afterwards the queue left is drained."""
    status = get(base, endpoint)
    if status != endpoint.expect:
        return Result(endpoint, problem=f"HTTP {status} (expected {endpoint.expect})")
    with ThreadPoolExecutor(load.workers * 2) as pool:
        list(pool.map(lambda _i: get(base, endpoint), range(load.workers * 2)))
    alone = min(timed(base, endpoint) for _ in range(3))
    # A slow page gets longer, so that each connection sees about three answers (a page of a
    # second with 16 connections on 4 workers would otherwise show none finished in 3 s).
    queued = alone / 1000 * load.connections / load.workers
    seconds = min(MAX_SECONDS, max(load.duration, math.ceil(3 * queued)))
    result = wrk(base, endpoint, load, seconds)
    result.alone, result.seconds = alone, seconds
    settle(base)
    return result


def baseline(results: list[Result]) -> float:
    """The mean of the runs before and after the app's pages (the machine's load drifts)."""
    figures = [r.rps for r in results if r.rps]
    return sum(figures) / len(figures) if figures else 0.0


# --- the table -------------------------------------------------------------------------------

TARGETS = {"page": ("floor", 0.7), "200": ("hello", 0.4), "304": ("hello", 0.5)}


def table(title: str, rows: list[Result], hello: float, floor: float, duration: int) -> str:
    lines = [
        f"### {title}",
        "",
        "| endpoint | req/s | p50 ms | p95 ms | p99 ms | alone ms | × hello | × floor | target |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        if r.problem and not r.rps:
            lines.append(f"| {r.endpoint.name} | {r.problem} | | | | | | | MISS |")
            continue
        x_hello = r.rps / hello if hello else 0.0
        x_floor = r.rps / floor if floor else 0.0
        mark = ""
        if r.endpoint.target in TARGETS:
            against, least = TARGETS[r.endpoint.target]
            ratio = x_floor if against == "floor" else x_hello
            mark = f"{'ok' if ratio >= least else 'MISS'} (≥ {least}× {against})"
        if r.endpoint.p95_limit:
            limit = r.endpoint.p95_limit
            mark += f"; {'ok' if r.rps and r.p95 <= limit else 'MISS'} (p95 ≤ {limit:.0f} ms)"
        if r.problem:
            mark += f"; {r.problem}"
        latencies = f"{r.p50:.1f} | {r.p95:.1f} | {r.p99:.1f}"
        if not r.rps:
            latencies = f"none finished in {r.seconds} s | |"
        rps = f"{r.rps:.{0 if r.rps >= 100 else 1}f}"
        if r.seconds > duration:
            rps += f" ({r.seconds} s)"
        lines.append(
            f"| {r.endpoint.name} | {rps} | {latencies} | {r.alone:.0f} "
            f"| {x_hello:.2f} | {x_floor:.2f} | {mark} |"
        )
    return "\n".join(lines)


def run_dataset(data: Dataset, load: Load) -> str:
    with ExitStack() as stack:
        redis_url = stack.enter_context(redis_server())
        serve = [
            stack.enter_context(gunicorn(app, data.url, redis_url, load.workers, ready))
            for app, ready in (
                ("bench.baselines:hello", "/"),
                ("bench.baselines:floor", "/"),
                ("wsgi:app", "/healthz"),
            )
        ]
        hello_base, floor_base, app_base = serve
        hello_ep, floor_ep = (
            Endpoint("bare Flask hello", "/", target=""),
            Endpoint("floor page", "/", target=""),
        )
        before = [measure(hello_base, hello_ep, load), measure(floor_base, floor_ep, load)]
        pages = [measure(app_base, e, load) for e in endpoints(app_base, data)]
        after = [measure(hello_base, hello_ep, load), measure(floor_base, floor_ep, load)]
    hello, floor = baseline([before[0], after[0]]), baseline([before[1], after[1]])
    for base_row, rps in ((before[0], hello), (before[1], floor)):
        base_row.rps = rps  # the rows show the mean the ratios use
    return table(data.name, [*before, *pages], hello, floor, load.duration)


def measure_dataset(kind: str, demo: bool, scale: float, seed: int, load: Load) -> str:
    """The dataset's table; if it cannot be built or served, a line that says why (the other
    datasets are still measured)."""
    label = f"{kind}, demo data" if demo else f"{kind}, statewide data (scale {scale})"
    with database(kind) as url:
        try:
            seconds = build(url, demo, scale, seed)
            print(f"{label}: loaded in {seconds:.0f} s", flush=True)
            data = Dataset(
                label,
                url,
                "example.org" if demo else "statelibrary.example.org",
                DEMO_PASSWORD if demo else SEED_PASSWORD,
                report_p95=300 if kind == "postgresql" else None,
            )
            return run_dataset(data, load)
        except NotServing as failed:
            print(failed, file=sys.stderr)
            return f"### {label}\n\nNot measured: {str(failed).splitlines()[0]}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="statewide data scale")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--db", default="sqlite,postgresql,demo", help="datasets to run")
    parser.add_argument(
        "--duration", type=int, default=3, help="seconds of wrk per page (slow pages get up to 15)"
    )
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    args = parser.parse_args()
    for tool, package in (("wrk", "wrk"), ("redis-server", "redis-server")):
        if shutil.which(tool) is None:
            raise SystemExit(
                f"{tool} is missing: apt-get install {package} (bench/http.py needs it)"
            )
    load = Load(args.threads, args.connections, args.duration, args.workers)
    kinds = {
        "sqlite": ("sqlite", False),
        "postgresql": ("postgresql", False),
        "demo": ("sqlite", True),
    }
    unknown = set(args.db.split(",")) - kinds.keys()
    if unknown:
        parser.error(f"--db: unknown {', '.join(sorted(unknown))} (choose from {', '.join(kinds)})")
    tables = []
    for name in args.db.split(","):
        tables.append(measure_dataset(*kinds[name], args.scale, args.seed, load))
        print(tables[-1] + "\n", flush=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    RESULTS.write_text(
        f"## HTTP benchmark ({stamp})\n\n`gunicorn -c gunicorn.conf.py -w {args.workers}`, "
        f"`wrk -t{args.threads} -c{args.connections} -d{args.duration}s` per endpoint (a slow "
        "page longer, in brackets) on "
        f"{os.cpu_count()} cores; hello and floor are the mean of a run before and one after "
        "the app's pages; alone: the fastest of three requests with nothing else on the server.\n\n"
        + "\n\n".join(tables)
        + "\n"
    )
    print(f"Written to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
