"""Report dashboards and their CSV exports. Who sees which branches: app/auth/permissions.py."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_login import current_user

from app.auth.permissions import report_scope_or_404, reports_required
from app.csvio import csv_response
from app.reports.services import build_dashboard
from app.reports.tables import FIGURE_COLUMNS, dashboard_tables, display, figure_cells
from app.timeutil import utcnow

bp = Blueprint("reports", __name__, url_prefix="/reports")
bp.add_app_template_filter(display, "report_cell")


def _report():
    branches, chosen = report_scope_or_404(current_user, request.args.get("branch"))
    now = utcnow()
    report = build_dashboard([chosen] if chosen else branches, now)
    return branches, chosen, now, report


@bp.get("/")
@reports_required
def index():
    branches, chosen, now, report = _report()
    return render_template(
        "reports/index.html",
        branches=branches,
        chosen=chosen,
        now=now,
        headline=list(zip(FIGURE_COLUMNS, figure_cells(report.total), strict=True)),
        tables=dashboard_tables(report),
    )


@bp.get("/<name>.csv")
@reports_required
def export(name: str):
    _, chosen, _, report = _report()
    table = next((t for t in dashboard_tables(report) if t.name == name), None)
    if table is None:
        abort(404)
    filename = f"report-{name}" + (f"-branch-{chosen.id}" if chosen else "") + ".csv"
    return csv_response(table.csv_header(), table.csv_rows(), filename)
