"""Attendance sheets, self check-in, "my attendance", completion, outcomes and the CSV export."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from app.attendance import completion, services
from app.attendance import outcomes as outcome_rules
from app.attendance.credential_views import bp as credentials_bp
from app.attendance.credentials import offered_credentials
from app.attendance.forms import (
    MARK_PREFIX,
    CompletionForm,
    OutcomeForm,
    RecordOutcomeForm,
    SheetForm,
)
from app.auth.permissions import (
    editable_circle_or_404,
    editable_part_or_404,
    own_enrollment_or_404,
    visible_circle_or_404,
)
from app.boundary import back_to, saving
from app.csvio import csv_response
from app.extensions import db
from app.forms import ConfirmForm
from app.labels import ATTENDANCE_STATUSES
from app.models import AttendanceStatus, Meeting, Outcome, User
from app.privacy import audit
from app.security import safe_next
from app.timeutil import local_today, utcnow

bp = Blueprint("attendance", __name__)
bp.register_blueprint(credentials_bp)  # the admin's list: endpoints attendance.credentials.*


def _me() -> User:
    return current_user._get_current_object()


# --- the sheet -------------------------------------------------------------------------------


@bp.route("/meetings/<int:meeting_id>/attendance", methods=["GET", "POST"])
def sheet(meeting_id: int):
    meeting = editable_part_or_404(Meeting, meeting_id)
    people = services.roster(meeting.circle)
    form = SheetForm(obj=services.sheet_of(meeting))
    current = {str(k): v for k, v in services.marks(meeting).items()}
    posted = {
        key.removeprefix(MARK_PREFIX): value
        for key, value in request.form.items()
        if key.startswith(MARK_PREFIX)
    }
    current |= posted  # after a refused save, the sheet shows what was sent
    unsaved = False
    if form.is_submitted() and "mark_all" in request.form:
        # "Mark all present" without JavaScript (CSRF is checked for every POST): the sheet
        # comes back with everyone ticked and what was typed kept, and nothing is written
        # until "Save attendance"; the page says so (app.js does the same in place).
        current = {str(e.id): AttendanceStatus.present for e in people}
        unsaved = True
    elif form.validate_on_submit():
        with saving(form) as saved:
            changed = services.record_attendance(
                meeting,
                posted,
                form.walk_ins.data or 0,
                form.note.data or "",
                by=_me(),
                now=utcnow(),
            )
        if saved:
            flash(
                ngettext(
                    "Attendance saved (%(num)d mark changed).",
                    "Attendance saved (%(num)d marks changed).",
                    changed,
                ),
                "success",
            )
            return redirect(url_for("attendance.sheet", meeting_id=meeting.id))
    return render_template(
        "attendance/sheet.html",
        meeting=meeting,
        circle=meeting.circle,
        people=people,
        current=current,
        form=form,
        unsaved=unsaved,
        statuses=ATTENDANCE_STATUSES,
        closed=services.sheet_closed_reason(meeting, utcnow()),
        history=services.history(meeting),
        now=utcnow(),
    )


@bp.post("/meetings/<int:meeting_id>/checkin")
def checkin(meeting_id: int):
    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None:
        abort(404)
    visible_circle_or_404(meeting.circle_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    back = back_to(
        safe_next(request.form.get("next"), url_for("circles.circle", circle_id=meeting.circle_id))
    )
    services.check_in(meeting, _me(), utcnow())
    flash(_("You are checked in. Welcome!"), "success")
    return redirect(back)


@bp.get("/my/attendance")
def mine():
    return render_template(
        "attendance/mine.html", records=services.attendance_of(current_user, utcnow())
    )


@bp.get("/circles/<int:circle_id>/attendance.csv")
def attendance_csv(circle_id: int):
    circle = editable_circle_or_404(circle_id)
    header, rows = services.attendance_export(circle, utcnow())
    audit.record(audit.EXPORTED, audit.circle(circle.id), "attendance_csv")
    return csv_response(header, rows, f"attendance-circle-{circle.id}.csv")


# --- completion ------------------------------------------------------------------------------


@bp.route("/circles/<int:circle_id>/completions", methods=["GET", "POST"])
def completions(circle_id: int):
    circle = editable_circle_or_404(circle_id)
    now = utcnow()
    rows = completion.completion_rows(circle)
    form = CompletionForm()
    form.completed.choices = [SelectChoice(r.enrollment.id, r.enrollment.name) for r in rows]
    if not form.is_submitted():
        form.completed.data = [r.enrollment.id for r in rows if r.ticked]
    if form.validate_on_submit():
        with saving(form) as saved:
            done, reopened = completion.confirm_completions(
                circle, set(form.completed.data or []), by=_me(), now=now
            )
        if saved:
            flash(
                _(
                    "Saved: %(done)d newly completed, %(reopened)d back to enrolled.",
                    done=done,
                    reopened=reopened,
                ),
                "success",
            )
            return redirect(url_for("attendance.completions", circle_id=circle.id))
    return render_template(
        "attendance/completions.html",
        circle=circle,
        form=form,
        rows={r.enrollment.id: r for r in rows},
        closed=completion.completion_closed_reason(circle, now),
        threshold=completion.completion_threshold(circle),
        held=len(services.held_meetings(circle, now)),
    )


# --- outcomes --------------------------------------------------------------------------------


def _outcome_form(form_class: type[OutcomeForm]) -> OutcomeForm:
    """The form, offering the credentials on the admin's list."""
    form = form_class()
    form.credential_id.choices = [SelectChoice("", _("Choose from the list"))] + [
        SelectChoice(c.id, c.name) for c in offered_credentials()
    ]
    return form


def _outcome_input(form: OutcomeForm, enrollment_id: int | None) -> outcome_rules.OutcomeInput:
    return outcome_rules.OutcomeInput(
        credential_id=form.credential_id.data,
        again=form.again.data,
        kind=form.kind.data,
        title=form.title.data or "",
        achieved_on=form.achieved_on.data,
        enrollment_id=enrollment_id,
        ce_hours=form.ce_hours.data,
        funder=form.funder.data or "",
        amount=form.amount.data,
        evidence_url=form.evidence_url.data or "",
    )


@bp.route("/circles/<int:circle_id>/outcomes", methods=["GET", "POST"])
def outcomes(circle_id: int):
    circle = editable_circle_or_404(circle_id)
    form = _outcome_form(RecordOutcomeForm)
    form.enrollment_id.choices = [SelectChoice("", _("The whole circle"))] + [
        SelectChoice(e.id, e.name) for e in services.roster(circle)
    ]
    status = 200
    if form.validate_on_submit():
        with saving(form) as saved:
            outcome_rules.add_outcome(
                circle,
                _outcome_input(form, form.enrollment_id.data),
                by=_me(),
                today=local_today(circle.timezone),
            )
        if saved:
            flash(_("Outcome recorded."), "success")
            return redirect(url_for("attendance.outcomes", circle_id=circle.id))
        status = saved.status
    page = render_template(
        "attendance/outcomes.html",
        circle=circle,
        outcomes=outcome_rules.outcomes_of(circle),
        form=form,
        confirm=ConfirmForm(),
    )
    return page, status


@bp.post("/outcomes/<int:outcome_id>/confirm")
def confirm_outcome(outcome_id: int):
    outcome = editable_part_or_404(Outcome, outcome_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    back = back_to(url_for("attendance.outcomes", circle_id=outcome.circle_id))
    outcome_rules.confirm_outcome(outcome, by=_me())
    flash(_("Outcome confirmed."), "success")
    return redirect(back)


@bp.route("/outcomes/<int:outcome_id>/delete", methods=["GET", "POST"])
def delete_outcome(outcome_id: int):
    outcome = editable_part_or_404(Outcome, outcome_id)
    back = url_for("attendance.outcomes", circle_id=outcome.circle_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        outcome_rules.delete_outcome(outcome, by=_me())
        flash(_("Outcome deleted."), "success")
        return redirect(back)
    return render_template(
        "confirm.html",
        form=form,
        title=_("Delete outcome"),
        question=_("Delete “%(title)s”? This cannot be undone.", title=outcome.title),
        action=_("Delete outcome"),
        cancel_url=back,
    )


@bp.route("/my/enrollments/<int:enrollment_id>/outcome", methods=["GET", "POST"])
def report_outcome(enrollment_id: int):
    enrollment = own_enrollment_or_404(enrollment_id)
    form = _outcome_form(OutcomeForm)
    status = 200
    if form.validate_on_submit():
        with saving(form) as saved:
            outcome_rules.add_outcome(
                enrollment.circle,
                _outcome_input(form, enrollment.id),
                by=_me(),
                today=local_today(enrollment.circle.timezone),
                reported=True,
            )
        if saved:
            flash(_("Thank you! A facilitator will confirm it."), "success")
            return redirect(url_for("attendance.report_outcome", enrollment_id=enrollment.id))
        status = saved.status
    page = render_template(
        "attendance/report.html",
        enrollment=enrollment,
        form=form,
        outcomes=outcome_rules.outcomes_of_enrollment(enrollment),
    )
    return page, status
