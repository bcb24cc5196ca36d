"""What the record's CSV holds, and the impact report's tables (the reports' ``Table``: one
definition serves the page, its chart and the numbers beside it)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from app.attendance.renewals import Standing
from app.i18n import lazy_gettext as _l
from app.records.services import Impact, ImpactFigures, OutcomeLine, Record
from app.reports.tables import OUTCOME_KINDS, Chart, Column, Table, csv_value

RECORD_HEADER = [
    _l("Type"),
    _l("Title"),
    _l("Course or awarding body"),
    _l("Circle"),
    _l("Date"),
    _l("Completed"),
    _l("Meetings attended"),
    _l("Meetings held"),
    _l("Hours"),
    _l("CE hours"),
    _l("Amount (USD)"),
    _l("Funder"),
    _l("Lapses on"),
    _l("Standing"),
    _l("CE hours since earned"),
    _l("CE hours to renew"),
]


def record_csv(record: Record, tz: str) -> tuple[list[str], list[list]]:
    """A row per circle, per outcome and per confirmed self-paced course, then the totals.
    Dates are ISO days in ``tz``."""
    zone = ZoneInfo(tz)
    rows: list[list] = []
    for c in record.circles:
        day = c.completed_at or c.first
        rows.append(
            [
                str(_l("Circle")),
                c.title,
                c.course,
                c.title,
                day.astimezone(zone).date().isoformat() if day else "",
                str(_l("yes")) if c.completed else str(_l("no")),
                c.attended,
                c.held,
                csv_value(c.hours, "hours"),
                "",
                "",
                "",
            ]
        )
    for o in (*record.credentials, *record.grants, *record.promotions, *record.other):
        rows.append(_outcome_row(o))
    for row in record.self_paced:
        reviewer = row.reviewed_by.name if row.reviewed_by else ""
        rows.append(
            [
                str(_l("Self-paced course")),
                row.course.title,
                row.course.provider,
                str(_l("self-paced, confirmed by %(name)s", name=reviewer)),
                row.completed_on.isoformat(),
                str(_l("yes")),
                *[""] * 6,
            ]
        )
    rows.append(
        [
            str(_l("Total")),
            "",
            "",
            "",
            "",
            record.completions,
            sum(c.attended for c in record.circles),
            sum(c.held for c in record.circles),
            csv_value(record.hours, "hours"),
            record.ce_hours,
            csv_value(record.grant_cents, "money"),
            "",
        ]
    )
    width = len(RECORD_HEADER)
    return [str(h) for h in RECORD_HEADER], [row + [""] * (width - len(row)) for row in rows]


def _outcome_row(o: OutcomeLine) -> list:
    return [
        str(OUTCOME_KINDS.get(o.kind, o.kind)),
        o.name,
        o.awarding_body,
        o.circle_title,
        o.achieved_on.isoformat(),
        "",
        "",
        "",
        "",
        csv_value(o.ce_hours, "decimal"),
        csv_value(o.amount_cents, "money"),
        o.funder,
        *_standing_cells(o.standing),
    ]


def _standing_cells(s: Standing | None) -> list:
    """When a credential lapses, where it stands and its CE hours (a renewed one: only that)."""
    if s is None:
        return ["", "", "", ""]
    renewed = s.state == "renewed"
    return [
        s.lapses_on.isoformat(),
        s.label,
        "" if renewed or s.ce_required is None else s.ce_earned,
        "" if renewed else csv_value(s.ce_required, "decimal"),
    ]


IMPACT_COLUMNS = [
    Column(_l("Period"), "text"),
    Column(_l("Credentials earned")),
    Column(_l("CE hours"), "decimal"),
    Column(_l("Completions")),
    Column(_l("Hours of learning"), "hours"),
    Column(_l("Grant dollars (USD)"), "money", _l("Grant dollars")),
    Column(_l("Goal met (%)"), "rate", _l("Goal met")),
]


def _cells(label: str, f: ImpactFigures) -> list:
    return [
        label,
        f.credentials,
        f.ce_hours,
        f.completions,
        f.hours,
        f.grant_cents,
        f.goal_met_rate,
    ]


def _span(period) -> str:
    return f"{period.start.isoformat()} – {period.end.isoformat()}"


def impact_tables(report: Impact) -> list[Table]:
    before, after = _span(report.previous), _span(report.period)
    figures = Table(
        "before-after",
        _l("Before and after"),
        IMPACT_COLUMNS,
        [_cells(before, report.earlier), _cells(after, report.current)],
    )
    figures.chart = Chart(
        "bars",  # the periods' names are long: each above its bar, not under a column
        1,
        _l("Credentials earned, previous period and this one"),
        str(
            _l(
                "Two bars: %(before)d credentials earned from %(first)s, %(after)d from "
                "%(second)s. The numbers are in the table beside the chart.",
                before=report.earlier.credentials,
                after=report.current.credentials,
                first=before,
                second=after,
            )
        ),
    )
    titles = Table(
        "credentials-by-title",
        _l("Credentials by title"),
        [
            Column(_l("Title"), "text"),
            Column(_l("Kind"), "text"),
            Column(_l("Previous period")),
            Column(_l("This period")),
        ],
        [
            [title, str(OUTCOME_KINDS.get(kind, kind)), earlier, current]
            for title, kind, earlier, current in report.credentials_by_title
        ],
    )
    return [figures, titles]
