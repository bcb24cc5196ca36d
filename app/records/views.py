"""Learning records (own and, for their managers and admins, other people's), certificates of
completion with their public verification page, and the impact report. Who sees what:
app/auth/permissions.py."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import Blueprint, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.auth.permissions import (
    certificate_or_404,
    learning_record_or_404,
    public,
    report_scope_or_404,
    reports_required,
)
from app.csvio import csv_response
from app.edges import date_arg, refuse
from app.links import external_url
from app.models import User
from app.privacy import audit
from app.records import certificates, services
from app.records.exports import impact_tables, record_csv
from app.timeutil import local_today, utcnow

bp = Blueprint("records", __name__)


def _page(person: User, csv_endpoint: str, **args):
    now = utcnow()
    return render_template(
        "records/record.html",
        record=services.build_record(person, now),
        as_of=now,
        own=person.id == current_user.id,
        csv_url=url_for(csv_endpoint, **args),
    )


def _csv(person: User):
    header, rows = record_csv(services.build_record(person, utcnow()), current_user.timezone)
    audit.record(audit.EXPORTED, audit.person(person), "record_csv")
    return csv_response(header, rows, f"learning-record-{person.id}.csv")


@bp.get("/me/record")
def mine():
    return _page(current_user, "records.mine_csv")


@bp.get("/me/record.csv")
def mine_csv():
    return _csv(current_user)


@bp.get("/people/<int:person_id>/record")
def person(person_id: int):
    person = learning_record_or_404(person_id)
    if person.id != current_user.id:  # a manager or an administrator: logged
        audit.record(audit.VIEWED, audit.person(person), "record")
    return _page(person, "records.person_csv", person_id=person_id)


@bp.get("/people/<int:person_id>/record.csv")
def person_csv(person_id: int):
    return _csv(learning_record_or_404(person_id))


@bp.get("/certificates/<int:enrollment_id>")
def certificate(enrollment_id: int):
    enrollment = certificate_or_404(enrollment_id)
    token = certificates.certificate_token(enrollment)
    return render_template(
        "records/certificate.html",
        enrollment=enrollment,
        name=certificates.person_name(enrollment),
        hours=services.hours(services.attended_seconds(enrollment.id, utcnow())),
        verify_url=external_url("records.verify", token=token),
    )


@bp.get("/certificates/verify/<token>")
@public
def verify(token: str):
    """Anyone with the link may check it: no sign-in, and nothing but what the certificate
    shows (no email). A link we did not sign is a 400 that says so, not a 404 or a 500."""
    result = certificates.verify(token, utcnow())
    status = 400 if result.verdict == certificates.Verdict.unreadable else 200
    return render_template(
        "records/verify.html", result=result, Verdict=certificates.Verdict
    ), status


def _day(name: str) -> dt.date | None:
    """A date from the query string: missing is None; anything else not a date is a 400."""
    if not request.args.get(name):
        return None
    day = date_arg(name)  # out of range: 400
    if day is None:
        refuse(_("“%(value)s” is not a date: use YYYY-MM-DD.", value=request.args[name]))
    return day


@bp.get("/reports/impact")
@reports_required
def impact():
    branches, chosen = report_scope_or_404(current_user, request.args.get("branch"))
    default = services.last_twelve_months(local_today(current_user.timezone))
    start, end = _day("from") or default.start, _day("to") or default.end
    if start > end:
        refuse(_("The period must start on or before the day it ends."))
    period = services.Period(start, end)
    report = services.build_impact(
        [b.id for b in ([chosen] if chosen else branches)],
        period,
        ZoneInfo(current_user.timezone),
    )
    return render_template(
        "records/impact.html",
        branches=branches,
        chosen=chosen,
        report=report,
        tables=impact_tables(report),
    )
