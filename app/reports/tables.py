"""The dashboard's tables: one definition serves the page, its chart and the CSV export,
so the three can never disagree."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from babel import numbers
from flask_babel import get_locale
from markupsafe import Markup

from app.i18n import lazy_gettext as _l  # many per dashboard: the quicker lookup
from app.i18n import number_locale
from app.labels import SKILL_AREAS
from app.reports import svg
from app.reports.services import Dashboard, Figures

OUTCOME_KINDS = {
    "credential": _l("Credential"),
    "certificate": _l("Certificate"),
    "grant": _l("Grant"),
    "promotion": _l("Promotion or new role"),
    "other": _l("Other"),
}


@dataclass(frozen=True)
class Column:
    label: str
    kind: str = "count"  # text, count, rate, money (cents), hours, decimal
    short: str | None = None  # without the unit, for the page (the CSV keeps the unit)

    @property
    def numeric(self) -> bool:
        return self.kind != "text"


@dataclass(frozen=True)
class Chart:
    kind: str  # "bars" or "columns"
    column: int  # which column of the table it draws
    title: str
    description: str


@dataclass
class Table:
    name: str  # in the CSV's URL: /reports/<name>.csv
    title: str
    columns: list[Column]
    rows: list[list]
    total: list | None = None
    chart: Chart | None = None

    def display_rows(self) -> list[list[str]]:
        language = _language()  # asked once per table, not once per cell
        return [
            [display(v, c.kind, language) for v, c in zip(row, self.columns, strict=True)]
            for row in self.rows
        ]

    def display_total(self) -> list[str] | None:
        if self.total is None:
            return None
        language = _language()
        return [display(v, c.kind, language) for v, c in zip(self.total, self.columns, strict=True)]

    def csv_header(self) -> list[str]:
        return [str(c.label) for c in self.columns]

    def csv_rows(self) -> list[list[str]]:
        rows = [*self.rows, self.total] if self.total is not None else self.rows
        return [
            [csv_value(v, c.kind) for v, c in zip(row, self.columns, strict=True)] for row in rows
        ]

    def svg(self) -> Markup | None:
        if self.chart is None or not self.rows:
            return None
        column = self.columns[self.chart.column]
        data = [
            svg.Datum(
                str(row[0]),
                float(row[self.chart.column] or 0),
                display(row[self.chart.column], column.kind),
            )
            for row in self.rows
        ]
        draw = svg.bar_chart if self.chart.kind == "bars" else svg.column_chart
        return draw(f"chart-{self.name}", str(self.chart.title), str(self.chart.description), data)


def display(value, kind: str, language: str | None = None) -> str:
    """A cell as the page shows it, in the reader's language (``language``, a locale
    identifier such as "es", else the request's)."""
    if kind == "text":
        return str(value)
    if value is None:
        return str(_l("n/a"))
    return _number(number_locale(language or _language()), kind, type(value), value)


def _language() -> str | None:
    locale = get_locale()
    return str(locale) if locale is not None else None


@functools.lru_cache(maxsize=4096)
def _number(locale: str | None, kind: str, _type: type, value) -> str:
    """Babel parses and applies a CLDR pattern for each number (a dashboard shows about 200,
    many the same): each is formatted once per language. The type is in the key because
    equal numbers of different types (1, 1.0, Decimal("1.00")) may be written differently."""
    if kind == "rate":
        return numbers.format_percent(value, "#,##0.0%", locale=locale)
    if kind == "money":
        return numbers.format_currency(Decimal(value) / 100, "USD", locale=locale)
    return numbers.format_decimal(value, locale=locale)


def csv_value(value, kind: str) -> str:
    """A cell as the CSV holds it: plain numbers a spreadsheet reads (rates in per cent)."""
    if value is None:
        return ""
    if kind == "rate":
        return f"{value * 100:.1f}"
    if kind == "money":
        return f"{Decimal(value) / 100:.2f}"
    if kind == "hours":
        return f"{value:.1f}"
    return str(value)


FIGURE_COLUMNS = [
    Column(_l("Circles run")),
    Column(_l("Participants")),
    Column(_l("Seats filled (%)"), "rate", _l("Seats filled")),
    Column(_l("Waitlisted")),
    Column(_l("Attendance rate (%)"), "rate", _l("Attendance rate")),
    Column(_l("Completion rate (%)"), "rate", _l("Completion rate")),
    Column(_l("Credentials")),
    Column(_l("Grant dollars (USD)"), "money", _l("Grant dollars")),
    Column(_l("Hours of learning"), "hours"),
]


def figure_cells(f: Figures) -> list:
    return [
        f.circles,
        f.participants,
        f.seat_rate,
        f.waitlisted,
        f.attendance_rate,
        f.completion_rate,
        f.credentials,
        f.grant_cents,
        f.hours,
    ]


def _breakdown(
    name: str, title: str, first: Column, items: list[tuple], label: Callable, total: Figures
) -> Table:
    return Table(
        name,
        title,
        [first, *FIGURE_COLUMNS],
        [[label(key), *figure_cells(f)] for key, f in items],
        [str(_l("All")), *figure_cells(total)],
    )


def dashboard_tables(report: Dashboard) -> list[Table]:
    by_branch = _breakdown(
        "by-branch",
        _l("By branch"),
        Column(_l("Branch"), "text"),
        report.by_branch,
        lambda b: b.name,
        report.total,
    )
    by_branch.chart = Chart("bars", 2, _l("Participants by branch"), _describe(by_branch, 2))
    skill_areas = sorted(
        ((str(SKILL_AREAS.get(code, code)), f) for code, f in report.by_skill_area),
        key=lambda item: item[0],
    )
    by_skill = _breakdown(
        "by-skill-area",
        _l("By skill area"),
        Column(_l("Skill area"), "text"),
        skill_areas,
        str,
        report.total,
    )
    by_skill.chart = Chart("bars", 9, _l("Hours of learning by skill area"), _describe(by_skill, 9))
    by_quarter = _breakdown(
        "by-quarter",
        _l("By quarter"),
        Column(_l("Quarter"), "text"),
        report.by_quarter,
        str,
        report.total,
    )
    kinds = Table(
        "outcomes-by-kind",
        _l("Outcomes by kind"),
        [
            Column(_l("Kind"), "text"),
            Column(_l("Confirmed")),
            Column(_l("CE hours"), "decimal"),
            Column(_l("Grant dollars (USD)"), "money", _l("Grant dollars")),
        ],
        [
            [str(OUTCOME_KINDS.get(k.kind, k.kind)), k.count, k.ce_hours, k.amount_cents]
            for k in report.outcomes_by_kind
        ],
    )
    kinds.chart = Chart("bars", 1, _l("Confirmed outcomes by kind"), _describe(kinds, 1))
    titles = Table(
        "credentials-by-title",
        _l("Credentials by title"),
        [
            Column(_l("Title"), "text"),
            Column(_l("Kind"), "text"),
            Column(_l("Earned")),
            Column(_l("CE hours"), "decimal"),
        ],
        [
            [title, str(OUTCOME_KINDS.get(kind, kind)), n, hours]
            for title, kind, n, hours in report.credentials_by_title
        ],
    )
    per_quarter = Table(
        "credentials-per-quarter",
        _l("Credentials earned per quarter"),
        [
            Column(_l("Quarter"), "text"),
            Column(_l("Circles started")),
            Column(_l("Credentials earned")),
        ],
        [[q.quarter, q.circles_started, q.credentials] for q in report.credentials_per_quarter],
    )
    per_quarter.chart = Chart(
        "columns", 2, _l("Credentials earned per quarter"), _before_after(report)
    )
    return [by_branch, by_skill, by_quarter, kinds, titles, per_quarter, _surveys(report)]


def _surveys(report: Dashboard) -> Table:
    """Goal met and would recommend, per branch and quarter (evaluation)."""
    names = {b.id: b.name for b, _ in report.by_branch}

    def rates(answers: int, goal: int, recommend: int) -> list:
        return [
            answers,
            goal / answers if answers else None,
            recommend / answers if answers else None,
        ]

    total = [sum(row[i] for row in report.surveys) for i in (2, 3, 4)]
    return Table(
        "surveys",
        _l("End-of-circle surveys"),
        [
            Column(_l("Branch"), "text"),
            Column(_l("Quarter"), "text"),
            Column(_l("Answers")),
            Column(_l("Goal met (%)"), "rate", _l("Goal met")),
            Column(_l("Would recommend (%)"), "rate", _l("Would recommend")),
        ],
        [[names.get(b, ""), q, *rates(n, g, r)] for b, q, n, g, r in report.surveys],
        [str(_l("All")), "", *rates(*total)],
    )


def _describe(table: Table, column: int) -> str:
    if not table.rows:
        return str(_l("No figures yet."))
    top = max(table.rows, key=lambda row: row[column] or 0)
    return str(
        _l(
            "%(count)d bars; the longest is %(label)s with %(value)s. "
            "The numbers are in the table “%(table)s”.",
            count=len(table.rows),
            label=top[0],
            value=display(top[column], table.columns[column].kind),
            table=table.title,
        )
    )


def _before_after(report: Dashboard) -> str:
    rows = report.credentials_per_quarter
    if report.first_quarter is None or not rows:
        return str(_l("No circle has run yet, so there is no before and after to compare."))
    before = sum(q.credentials for q in rows if q.quarter < report.first_quarter)
    since = sum(q.credentials for q in rows if q.quarter >= report.first_quarter)
    return str(
        _l(
            "One column per quarter from %(first)s to %(last)s. The first circle started in "
            "%(start)s. Credentials earned before it: %(before)d; since: %(since)d. "
            "The numbers are in the table beside the chart.",
            first=rows[0].quarter,
            last=rows[-1].quarter,
            start=report.first_quarter,
            before=before,
            since=since,
        )
    )
