"""Reports: figures checked against an independent computation in plain Python, who sees
which branches, CSV exports, the SVG charts, and a query count that does not grow with data."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import xml.etree.ElementTree as ET
from collections import defaultdict
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from app.csvio import restore_cell
from app.extensions import db
from app.models import (
    Attendance,
    Branch,
    Circle,
    Enrollment,
    Outcome,
)
from app.reports import svg
from app.reports.services import fill_quarters
from app.timeutil import utcnow
from tests.conftest import login
from tests.factories import INJECTION_TITLE, Builder, at

UTC = dt.UTC
SVG_NS = "{http://www.w3.org/2000/svg}"
SKILL_LABELS = {
    "health_information": "Health information",
    "grant_writing": "Grant writing",
    "management": "Management",
}
KIND_LABELS = {
    "credential": "Credential",
    "certificate": "Certificate",
    "grant": "Grant",
    "promotion": "Promotion or new role",
    "other": "Other",
}
# --- the independent computation ---------------------------------------------------------------


COUNTS = [
    "circles",
    "capacity",
    "seats",
    "participants",
    "waitlisted",
    "completed",
    "completable",
    "present",
    "marks",
    "seconds",
    "credentials",
    "grant_cents",
]


def _quarter(year: int, month: int) -> str:
    return f"{year}-Q{(month - 1) // 3 + 1}"


def expected_figures(now: dt.datetime, branch_names: list[str] | None = None) -> dict:
    """Every figure, worked out by walking the rows one by one (no SQL grouping)."""
    by = {
        name: defaultdict(lambda: dict.fromkeys(COUNTS, 0))
        for name in ("branch", "skill", "quarter")
    }
    total = dict.fromkeys(COUNTS, 0)
    kinds = {kind: [0, Decimal("0.00"), 0] for kind in KIND_LABELS}
    titles: dict[tuple[str, str], list] = {}
    circle_quarters: set[str] = set()

    def add(circle: Circle, quarter: str, **values) -> None:
        keys = (
            ("branch", circle.branch.name),
            ("skill", circle.course.skill_area),
            ("quarter", quarter),
        )
        for bucket in [*(by[dim][key] for dim, key in keys), total]:
            for name, value in values.items():
                bucket[name] += value

    for circle in db.session.scalars(sa.select(Circle)):
        if branch_names is not None and circle.branch.name not in branch_names:
            continue
        scheduled = [m for m in circle.meetings if m.status == "scheduled"]
        if circle.status not in ("published", "completed") or not scheduled:
            continue
        first = min(m.starts_at for m in scheduled)
        if first > now:
            continue
        local = first.astimezone(ZoneInfo(circle.timezone))
        quarter = _quarter(local.year, local.month)
        circle_quarters.add(quarter)
        finished = max(m.starts_at for m in scheduled) <= now
        places = db.session.scalars(sa.select(Enrollment).filter_by(circle_id=circle.id)).all()
        taking_part = [p for p in places if p.status in ("enrolled", "completed")]
        add(
            circle,
            quarter,
            circles=1,
            capacity=circle.capacity,
            seats=min(circle.enrolled_count, circle.capacity),
            participants=len(taking_part),
            waitlisted=sum(p.status == "waitlisted" for p in places),
            completed=sum(p.status == "completed" for p in places) if finished else 0,
            completable=len(taking_part) if finished else 0,
        )
        for meeting in scheduled:
            if meeting.starts_at > now:
                continue
            marks = db.session.scalars(sa.select(Attendance).filter_by(meeting_id=meeting.id)).all()
            present = sum(m.status == "present" for m in marks)
            length = (meeting.ends_at - meeting.starts_at).total_seconds()
            add(circle, quarter, present=present, marks=len(marks), seconds=present * length)

    for outcome in db.session.scalars(sa.select(Outcome).filter_by(status="confirmed")):
        circle = outcome.circle
        if branch_names is not None and circle.branch.name not in branch_names:
            continue
        is_credential = outcome.kind in ("credential", "certificate")
        cents = outcome.amount_cents or 0
        add(
            circle,
            _quarter(outcome.achieved_on.year, outcome.achieved_on.month),
            credentials=int(is_credential),
            grant_cents=cents if outcome.kind == "grant" else 0,
        )
        kind = kinds[outcome.kind]
        kind[0] += 1
        kind[1] += Decimal(outcome.ce_hours or 0)
        kind[2] += cents
        if is_credential:
            title = titles.setdefault((outcome.title, outcome.kind), [0, Decimal("0.00")])
            title[0] += 1
            title[1] += Decimal(outcome.ce_hours or 0)
    return {
        **by,
        "total": total,
        "kinds": kinds,
        "titles": titles,
        "first_quarter": min(circle_quarters, default=None),
    }


def _rate(part: float, whole: float) -> str:
    return f"{part / whole * 100:.1f}" if whole else ""


def csv_figures(label: str, f: dict) -> list[str]:
    """A row of a breakdown CSV, formatted as the export promises (rates in per cent)."""
    return [
        label,
        str(f["circles"]),
        str(f["participants"]),
        _rate(f["seats"], f["capacity"]),
        str(f["waitlisted"]),
        _rate(f["present"], f["marks"]),
        _rate(f["completed"], f["completable"]),
        str(f["credentials"]),
        f"{f['grant_cents'] // 100}.{f['grant_cents'] % 100:02d}",
        f"{f['seconds'] / 3600:.1f}",
    ]


def read_csv(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return [[restore_cell(cell) for cell in row] for row in csv.reader(io.StringIO(text[1:]))]


def fetch(client, name: str, **params) -> list[list[str]]:
    return read_csv(client.get(f"/reports/{name}.csv", query_string=params))


FIGURE_HEADER = [
    "Circles run",
    "Participants",
    "Seats filled (%)",
    "Waitlisted",
    "Attendance rate (%)",
    "Completion rate (%)",
    "Credentials",
    "Grant dollars (USD)",
    "Hours of learning",
]


def test_every_table_matches_the_independent_computation(app, client, scene, query):
    login(client, scene.admin)
    expected = query(lambda: expected_figures(utcnow()))
    total = csv_figures("All", expected["total"])

    rows = fetch(client, "by-branch")
    assert rows[0] == ["Branch", *FIGURE_HEADER]
    assert rows[1:] == [
        csv_figures(name, expected["branch"][name])
        for name in ("Kendall", "Main Library", "Westside")
    ] + [total]

    rows = fetch(client, "by-skill-area")
    assert rows[0] == ["Skill area", *FIGURE_HEADER]
    assert rows[1:] == [
        csv_figures(SKILL_LABELS[code], expected["skill"][code])
        for code in ("grant_writing", "health_information", "management")
    ] + [total]

    quarters = fill_quarters(expected["quarter"])
    assert quarters == ["2025-Q2", "2025-Q3", "2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3"]
    rows = fetch(client, "by-quarter")
    assert rows[1:] == [csv_figures(q, expected["quarter"][q]) for q in quarters] + [total]

    rows = fetch(client, "outcomes-by-kind")
    assert rows == [["Kind", "Confirmed", "CE hours", "Grant dollars (USD)"]] + [
        [KIND_LABELS[kind], str(n), str(hours), f"{cents / 100:.2f}"]
        for kind, (n, hours, cents) in expected["kinds"].items()
    ]

    rows = fetch(client, "credentials-by-title")
    ranked = sorted(expected["titles"].items(), key=lambda item: (-item[1][0], item[0]))
    assert rows == [["Title", "Kind", "Earned", "CE hours"]] + [
        [title, KIND_LABELS[kind], str(n), str(hours)] for (title, kind), (n, hours) in ranked
    ]

    rows = fetch(client, "credentials-per-quarter")
    assert rows == [["Quarter", "Circles started", "Credentials earned"]] + [
        [q, str(expected["quarter"][q]["circles"]), str(expected["quarter"][q]["credentials"])]
        for q in quarters
    ]


def test_the_figures_follow_the_definitions(client, scene):
    """A few figures spelled out by hand, so that a shared misreading cannot hide."""
    login(client, scene.admin)
    rows = {row[0]: row for row in fetch(client, "by-branch")}
    main = dict(zip(["Branch", *FIGURE_HEADER], rows["Main Library"], strict=True))
    assert main["Circles run"] == "2"  # not the draft, the future circle, the cancelled-only one
    assert main["Participants"] == "7"  # 3 + 4; not the withdrawn or waitlisted places
    assert main["Seats filled (%)"] == "50.0"  # (3 + 4) / (10 + 4)
    assert main["Waitlisted"] == "3"
    assert main["Attendance rate (%)"] == "77.8"  # 7 of 10 and 7 of 8 (not the cancelled one)
    assert main["Completion rate (%)"] == "66.7"  # 2 of 3: the grant circle is still running
    assert main["Credentials"] == "3"  # two CHIS and one certificate; not the reported one
    assert main["Grant dollars (USD)"] == "12500.00"  # the reported grant does not count
    assert main["Hours of learning"] == "17.5"  # 7 present × 1.5 h + 7 present × 1 h
    quarters = {row[0]: row for row in fetch(client, "by-quarter")}
    assert quarters["2026-Q1"][1] == "2"  # CHIS in January and Kendall on 31 March local time
    assert quarters["2026-Q2"][1] == "1"  # the grant circle
    assert rows["All"][1] == "4"


@pytest.mark.parametrize("name", ["Kendall", "Westside"])
def test_the_branch_filter_narrows_every_figure(app, client, scene, query, name):
    login(client, scene.admin)
    branch_id = {"Kendall": scene.kendall, "Westside": scene.westside}[name]
    expected = query(lambda: expected_figures(utcnow(), [name]))
    rows = fetch(client, "by-branch", branch=branch_id)
    assert rows[1:] == [
        csv_figures(name, expected["branch"][name]),
        csv_figures("All", expected["total"]),
    ]
    skill = fetch(client, "by-skill-area", branch=branch_id)
    assert [row[0] for row in skill[1:-1]] == sorted(SKILL_LABELS[c] for c in expected["skill"])


def _headline(html: str) -> dict[str, str]:
    return dict(re.findall(r"<div><dt>([^<]+)</dt><dd>([^<]+)</dd></div>", html))


def test_the_page_shows_the_headline_figures(app, client, scene, query):
    login(client, scene.admin)
    page = client.get("/reports/")
    assert page.status_code == 200
    total = query(lambda: expected_figures(utcnow()))["total"]

    def percent(part, whole):
        return f"{part / whole * 100:.1f}%"

    assert _headline(page.text) == {
        "Circles run": str(total["circles"]),
        "Participants": str(total["participants"]),
        "Seats filled": percent(total["seats"], total["capacity"]),
        "Waitlisted": str(total["waitlisted"]),
        "Attendance rate": percent(total["present"], total["marks"]),
        "Completion rate": percent(total["completed"], total["completable"]),
        "Credentials": str(total["credentials"]),
        "Grant dollars": f"${total['grant_cents'] / 100:,.2f}",
        "Hours of learning": f"{total['seconds'] / 3600:.1f}".removesuffix(".0"),
    }
    assert "How the figures are counted" in page.text
    for name in ("by-branch", "by-skill-area", "by-quarter", "outcomes-by-kind"):
        assert f'href="/reports/{name}.csv"' in page.text


# --- who sees what -------------------------------------------------------------------------------


def test_administrators_see_every_branch(client, scene):
    login(client, scene.admin)
    page = client.get("/reports/").text
    assert 'href="/reports/"' in page  # the navigation link
    branches = [row[0] for row in fetch(client, "by-branch")[1:-1]]
    assert branches == ["Kendall", "Main Library", "Westside"]
    for branch_id in (scene.main, scene.kendall, scene.westside):
        assert client.get("/reports/", query_string={"branch": branch_id}).status_code == 200


def test_a_manager_sees_only_their_branches(app, client, scene, query):
    login(client, scene.manager)
    page = client.get("/reports/")
    assert page.status_code == 200
    assert "Kendall" not in page.text
    assert "Westside" not in page.text
    assert 'href="/reports/"' in page.text
    expected = query(lambda: expected_figures(utcnow(), ["Main Library"]))
    rows = fetch(client, "by-branch")
    assert rows[1:] == [
        csv_figures("Main Library", expected["branch"]["Main Library"]),
        csv_figures("All", expected["total"]),
    ]
    # Outcomes of other branches stay out of every table.
    titles = [row[0] for row in fetch(client, "credentials-by-title")[1:]]
    assert "Earlier credential" not in titles
    assert client.get("/reports/", query_string={"branch": scene.main}).status_code == 200


@pytest.mark.parametrize(
    "path", ["/reports/", "/reports/by-branch.csv", "/reports/credentials-by-title.csv"]
)
@pytest.mark.parametrize("branch", ["kendall", "westside", "missing", "abc"])
def test_another_branch_is_not_found_for_a_manager(client, scene, path, branch):
    login(client, scene.manager)
    value = {"kendall": scene.kendall, "westside": scene.westside, "missing": 9999}.get(
        branch, branch
    )
    assert client.get(path, query_string={"branch": value}).status_code == 404


@pytest.mark.parametrize("who", ["facilitator", "participant"])
@pytest.mark.parametrize("path", ["/reports/", "/reports/by-branch.csv"])
def test_others_are_refused(client, scene, who, path):
    login(client, getattr(scene, who))
    assert client.get(path).status_code == 403
    assert 'href="/reports/"' not in client.get("/circles/").text


@pytest.mark.parametrize("path", ["/reports/", "/reports/by-quarter.csv"])
def test_anonymous_visitors_are_sent_to_sign_in(client, scene, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_an_unknown_table_is_not_found(client, scene):
    login(client, scene.admin)
    assert client.get("/reports/nothing.csv").status_code == 404


# --- CSV -----------------------------------------------------------------------------------------


def test_csv_cells_cannot_run_as_formulas(client, scene):
    login(client, scene.admin)
    response = client.get("/reports/credentials-by-title.csv")
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="report-credentials-by-title.csv"'
    )
    raw = list(csv.reader(io.StringIO(response.get_data(as_text=True)[1:])))
    assert ["'" + INJECTION_TITLE, "Certificate", "1", "0.00"] in raw
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in raw for cell in row)


def test_csv_of_one_branch_is_named_for_it(client, scene):
    login(client, scene.admin)
    response = client.get("/reports/by-quarter.csv", query_string={"branch": scene.kendall})
    assert (
        f'filename="report-by-quarter-branch-{scene.kendall}.csv"'
        in response.headers["Content-Disposition"]
    )


# --- charts ---------------------------------------------------------------------------------------


def _charts(html: str) -> dict[str, ET.Element]:
    charts = {}
    for markup in re.findall(r"<svg\b.*?</svg>", html, flags=re.S):
        root = ET.fromstring(markup)  # noqa: S314  (our own page) well-formed XML, or it raises
        charts[root.get("aria-labelledby").removesuffix("-title")] = root
    return charts


def _table_column(html: str, name: str, column: int) -> dict[str, str]:
    section = html.split(f'id="{name}-heading"', 1)[1].split("</section>", 1)[0]
    body = section.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    result = {}
    for row in re.findall(r"<tr>(.*?)</tr>", body, flags=re.S):
        cells = re.findall(r"<t[hd][^>]*>([^<]*)</t[hd]>", row)
        result[cells[0]] = cells[column]
    return result


@pytest.mark.parametrize(
    ("name", "column"),
    [
        ("by-branch", 2),
        ("by-skill-area", 9),
        ("outcomes-by-kind", 1),
        ("credentials-per-quarter", 2),
    ],
)
def test_charts_are_accessible_svg_with_the_tables_numbers(client, scene, name, column):
    login(client, scene.admin)
    html = client.get("/reports/").text
    chart = _charts(html)[f"chart-{name}"]
    assert chart.get("role") == "img"
    title = chart.find(f"{SVG_NS}title")
    desc = chart.find(f"{SVG_NS}desc")
    assert title.get("id") == f"chart-{name}-title"
    assert title.text
    assert desc.get("id") == chart.get("aria-describedby")
    assert desc.text
    assert chart.find(f".//{SVG_NS}script") is None
    assert not any("style" in element.attrib for element in chart.iter())
    values = [t.text for t in chart.iter(f"{SVG_NS}text") if t.get("class") == "value"]
    texts = [t.text for t in chart.iter(f"{SVG_NS}text") if t.get("class") != "value"]
    table = _table_column(html, name, column)
    assert dict(zip(texts, values, strict=True)) == table
    heights = [
        float(r.get("width" if name != "credentials-per-quarter" else "height"))
        for r in chart.iter(f"{SVG_NS}rect")
    ]
    numbers = [float(v.replace(",", "")) for v in table.values()]
    # The longest bar belongs to the largest number, and a zero draws nothing.
    assert heights.index(max(heights)) == numbers.index(max(numbers))
    assert all((h == 0) == (n == 0) for h, n in zip(heights, numbers, strict=True))


def test_the_before_and_after_chart_says_when_circles_began(client, scene):
    login(client, scene.admin)
    desc = _charts(client.get("/reports/").text)["chart-credentials-per-quarter"].find(
        f"{SVG_NS}desc"
    )
    # The first circle (Westside) began in 2025-Q4; one credential was earned before it.
    assert "2025-Q4" in desc.text
    assert "Credentials earned before it: 1; since: 4." in desc.text


def test_chart_text_is_escaped():
    label = '<script>alert("x")</script> & <b>co</b>'
    markup = svg.bar_chart(
        "chart-x", "Title & <more>", "Desc <desc>", [svg.Datum(label, 3, "3 <b>")]
    )
    root = ET.fromstring(str(markup))  # noqa: S314  (our own markup)
    assert root.find(f"{SVG_NS}title").text == "Title & <more>"
    assert [t.text for t in root.iter(f"{SVG_NS}text")] == [label, "3 <b>"]
    assert "<script>" not in markup
    with pytest.raises(ValueError, match="not a chart id"):
        svg.column_chart('x" onload="alert(1)', "t", "d", [])


def test_empty_quarters_are_filled_in():
    assert fill_quarters(["2025-Q3", "2026-Q2"]) == ["2025-Q3", "2025-Q4", "2026-Q1", "2026-Q2"]
    assert fill_quarters([]) == []
    assert fill_quarters(["1926-Q1", "2026-Q1"]) == ["1926-Q1", "2026-Q1"]  # a typo, not a century


# --- the number of queries ------------------------------------------------------------------------


def add_many_circles(app, branches: list[int], count: int, start: int = 0) -> None:
    """``count`` circles over the branches, three skill areas and four quarters, each with
    meetings, places, marks and an outcome."""
    make = Builder(prefix=f"batch{start}-")
    with app.app_context():
        courses = [make.course(area) for area in SKILL_LABELS]
        for i in range(start, start + count):
            first = at("2025-01-07 15:00") + dt.timedelta(days=30 * (i % 12))
            circle, meetings, people = make.circle(
                branches[i % len(branches)],
                courses[i % len(courses)],
                status="completed" if i % 2 else "published",
                capacity=6,
                enrolled_count=3,
                meetings=[
                    (first, 60, "scheduled"),
                    (first + dt.timedelta(days=7), 90, "scheduled"),
                ],
                places=["enrolled", "completed", "completed", "waitlisted"],
            )
            for meeting in meetings:
                for person, status in zip(
                    people[:3], ["present", "absent", "present"], strict=True
                ):
                    make.mark(meeting, person, status)
            make.outcome(
                circle,
                ("credential", "grant")[i % 2],
                f"Outcome {i % 5}",
                "2025-06-01",
                amount_cents=1000,
            )
        db.session.commit()


def count_queries(app, client, path: str) -> tuple[int, str]:
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        response = client.get(path)
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    assert response.status_code == 200
    return len(statements), response.text


def test_queries_do_not_grow_with_the_number_of_circles(app, factory, client):
    factory.user("admin@example.org", is_admin=True)
    branches = [factory.branch(f"Branch {i}") for i in range(3)]
    login(client, "admin@example.org")
    add_many_circles(app, branches, 10)
    few, page = count_queries(app, client, "/reports/")
    assert _headline(page)["Circles run"] == "10"
    add_many_circles(app, branches, 190, start=10)
    many, page = count_queries(app, client, "/reports/")
    assert _headline(page)["Circles run"] == "200"
    assert few == many
    print(f"queries for /reports/: {few} with 10 circles, {many} with 200")  # seen with -s


# --- the demo data --------------------------------------------------------------------------------


def test_the_dashboard_is_right_on_the_demo_data(app, client, query):
    result = app.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    login(client, "admin@example.org", "learning-circles-demo")
    page = client.get("/reports/")
    assert page.status_code == 200
    expected = query(lambda: expected_figures(utcnow()))
    headline = _headline(page.text)
    assert headline["Circles run"] == str(expected["total"]["circles"])
    assert headline["Participants"] == str(expected["total"]["participants"])
    assert headline["Credentials"] == str(expected["total"]["credentials"])
    rows = fetch(client, "by-branch")
    names = query(lambda: sorted(db.session.scalars(sa.select(Branch.name))))
    assert [row[0] for row in rows[1:-1]] == names
    assert rows[-1] == csv_figures("All", expected["total"])
    # The manager of the Main Library sees that branch only.
    client = app.test_client()
    login(client, "manager@example.org", "learning-circles-demo")
    rows = fetch(client, "by-branch")
    mine = query(lambda: expected_figures(utcnow(), ["Main Library"]))
    assert rows[1:] == [
        csv_figures("Main Library", mine["total"]),
        csv_figures("All", mine["total"]),
    ]


def test_the_demo_figures_a_year_on(app, query):
    """The demo's circles all lie ahead; a year later every one of them has run."""
    assert app.test_cli_runner().invoke(args=["demo", "load"]).exit_code == 0
    later = utcnow() + dt.timedelta(days=365)

    def compare():
        from app.auth.permissions import manageable_branches
        from app.models import User
        from app.reports.services import build_dashboard

        admin = db.session.scalar(sa.select(User).filter_by(email="admin@example.org"))
        report = build_dashboard(list(db.session.scalars(manageable_branches(admin))), later)
        expected = expected_figures(later)["total"]
        assert expected["circles"] > 0
        got = report.total
        assert (got.circles, got.capacity, got.seats_filled, got.participants) == (
            expected["circles"],
            expected["capacity"],
            expected["seats"],
            expected["participants"],
        )
        assert (got.waitlisted, got.completed, got.completable) == (
            expected["waitlisted"],
            expected["completed"],
            expected["completable"],
        )
        assert (got.present, got.marks, got.present_seconds) == (
            expected["present"],
            expected["marks"],
            expected["seconds"],
        )
        assert (got.credentials, got.grant_cents) == (
            expected["credentials"],
            expected["grant_cents"],
        )

    query(compare)
