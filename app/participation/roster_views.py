"""The facilitator's roster: who is in, adding and moving up people, removing them,
messaging the enrolled and the CSV. Part of the ``participation`` blueprint (``views.py``)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from app.auth.permissions import (
    can_create_circle,
    can_edit_circle,
    editable_circle_or_404,
    editable_part_or_404,
)
from app.boundary import back_to, saving
from app.csvio import csv_response
from app.extensions import db
from app.forms import ConfirmForm
from app.labels import status_word
from app.models import Enrollment, EnrollmentStatus
from app.participation import overflow, services
from app.participation.forms import AddParticipantForm, MessageForm
from app.participation.views import bp, withdraw_page
from app.privacy import audit
from app.privacy.contact import contact_email
from app.timeutil import utcnow


@bp.get("/circles/<int:circle_id>/roster")
def roster(circle_id: int):
    circle = editable_circle_or_404(circle_id)
    enrollments = db.session.scalars(
        sa.select(Enrollment)
        .where(Enrollment.circle_id == circle.id)
        .order_by(Enrollment.status, Enrollment.waitlist_seq, Enrollment.created_at)
    ).all()
    groups = {s: [e for e in enrollments if e.status == s] for s in EnrollmentStatus}
    targets = [
        (c, overflow.seats_to_offer(c))
        for c in overflow.overflow_circles(circle, utcnow())
        if can_edit_circle(current_user, c)
    ]
    return render_template(
        "participation/roster.html",
        circle=circle,
        groups=groups,
        add_form=AddParticipantForm(),
        confirm=ConfirmForm(),
        targets=targets,
        offers=overflow.offers_from(circle),
        can_open=can_create_circle(current_user) and circle.is_live,
    )


@bp.post("/circles/<int:circle_id>/roster/add")
def add_participant(circle_id: int):
    circle = editable_circle_or_404(circle_id)
    form = AddParticipantForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            flash(errors[0], "error")
        return redirect(url_for("participation.roster", circle_id=circle.id))
    back = back_to(url_for("participation.roster", circle_id=circle.id))
    enrollment = services.add_participant(circle, form.email.data, form.name.data, utcnow())
    flash(
        _("%(name)s is %(status)s.", name=enrollment.name, status=status_word(enrollment.status)),
        "success",
    )
    return redirect(back)


@bp.post("/enrollments/<int:enrollment_id>/promote")
def promote(enrollment_id: int):
    enrollment = editable_part_or_404(Enrollment, enrollment_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    back = back_to(url_for("participation.roster", circle_id=enrollment.circle_id))
    seated = services.move_up(enrollment, by=current_user._get_current_object(), now=utcnow())
    flash(
        _("%(name)s is now enrolled.", name=enrollment.name)
        if seated
        else _("The circle is full: %(name)s is now first on the waitlist.", name=enrollment.name),
        "success",
    )
    return redirect(back)


@bp.route("/enrollments/<int:enrollment_id>/remove", methods=["GET", "POST"])
def remove(enrollment_id: int):
    enrollment = editable_part_or_404(Enrollment, enrollment_id)
    back = url_for("participation.roster", circle_id=enrollment.circle_id)
    return withdraw_page(enrollment, back, back)


@bp.route("/circles/<int:circle_id>/message", methods=["GET", "POST"])
def message(circle_id: int):
    circle = editable_circle_or_404(circle_id)
    form = MessageForm()
    recipients = services.enrolled_in(circle)
    if form.validate_on_submit():
        with saving(form) as saved:
            count = services.message_enrolled(
                circle, current_user._get_current_object(), form.subject.data, form.body.data
            )
        if saved:
            flash(
                ngettext(
                    "Message queued for %(num)d person.",
                    "Message queued for %(num)d people.",
                    count,
                ),
                "success",
            )
            return redirect(url_for("participation.roster", circle_id=circle.id))
    return render_template(
        "participation/message.html", circle=circle, form=form, count=len(recipients)
    )


@bp.get("/circles/<int:circle_id>/roster.csv")
def roster_csv(circle_id: int):
    circle = editable_circle_or_404(circle_id)
    enrollments = db.session.scalars(
        sa.select(Enrollment)
        .where(Enrollment.circle_id == circle.id)
        .order_by(Enrollment.created_at)
    ).all()
    rows = (
        [
            e.name,
            contact_email(e),
            e.status,
            services.waitlist_position(e) or "",
            e.created_at.isoformat(timespec="minutes"),
            e.withdrawn_at.isoformat(timespec="minutes") if e.withdrawn_at else "",
            "yes" if e.consent_contact else "no",
            e.goals,
            e.answer,
        ]
        for e in enrollments
    )
    header = [
        "name",
        "email",
        "status",
        "waitlist_position",
        "joined",
        "withdrawn",
        "consent",
        "goals",
        "answer",
    ]
    audit.record(audit.EXPORTED, audit.circle(circle.id), "roster_csv")
    return csv_response(header, rows, f"roster-circle-{circle.id}.csv")
