"""Joining circles, "my circles", the guest manage link, and the facilitator's roster."""

from __future__ import annotations

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.attendance import services as attendance
from app.auth.permissions import (
    editable_circle_or_404,
    own_enrollment_or_404,
    public,
    visible_circle_or_404,
)
from app.csvio import csv_response
from app.extensions import db
from app.models import Circle, Enrollment, EnrollmentStatus, Meeting, MeetingStatus, User
from app.outbox import queue_email
from app.participation import services
from app.participation.forms import AddParticipantForm, GuestJoinForm, JoinForm, MessageForm
from app.rooms.forms import ConfirmForm
from app.rules import RuleViolation, show_violation
from app.timeutil import utcnow

bp = Blueprint("participation", __name__)


def _join_form(circle: Circle) -> JoinForm:
    form = JoinForm() if current_user.is_authenticated else GuestJoinForm()
    # Only what this circle asks is on the form (and so checked).
    if circle.custom_question:
        form.answer.label.text = circle.custom_question
    else:
        del form.answer
    if not circle.ask_goals:
        del form.goals
    return form


@bp.route("/circles/<int:circle_id>/join", methods=["GET", "POST"])
@public
def join(circle_id: int):
    circle = visible_circle_or_404(circle_id)
    now = utcnow()
    form = _join_form(circle)
    mine = services.place_of(circle, current_user.email) if current_user.is_authenticated else None
    status = 200
    if mine is None and form.validate_on_submit():
        user = current_user._get_current_object() if current_user.is_authenticated else None
        joiner = services.Joiner(
            name=user.name if user else form.name.data,
            email=user.email if user else form.email.data,
            user=user,
            goals=form.goals.data if "goals" in form else "",
            answer=form.answer.data if "answer" in form else "",
            consent_contact=form.consent_contact.data,
        )
        try:
            enrollment = services.join(circle, joiner, now)
        except RuleViolation as violation:
            db.session.rollback()
            show_violation(form, violation)
            status = 409 if violation.conflict else 200
        else:
            db.session.commit()
            if enrollment.status == EnrollmentStatus.enrolled:
                flash(
                    _(
                        "You are in! A confirmation is on its way to %(email)s.",
                        email=enrollment.email,
                    ),
                    "success",
                )
            else:
                flash(
                    _(
                        "The circle is full: you are number %(position)d on the waitlist. "
                        "We will email you if a seat opens.",
                        position=services.waitlist_position(enrollment),
                    ),
                    "info",
                )
            if user is None:
                return redirect(
                    url_for("participation.manage", token=services.manage_token(enrollment))
                )
            return redirect(url_for("participation.mine"))
    return (
        render_template(
            "participation/join.html",
            circle=circle,
            form=form,
            mine=mine,
            closed=services.joining_closed_reason(circle, now),
            position=services.waitlist_position(mine) if mine else None,
        ),
        status,
    )


@bp.get("/my/circles")
def mine():
    now = utcnow()
    enrollments = db.session.scalars(
        sa.select(Enrollment)
        .where(
            Enrollment.email == current_user.email,
            Enrollment.status != EnrollmentStatus.withdrawn,
        )
        .options(so.joinedload(Enrollment.circle))
        .order_by(Enrollment.created_at.desc())
    ).all()
    enrolled_ids = [e.circle_id for e in enrollments if e.status == EnrollmentStatus.enrolled]
    meetings = (
        db.session.scalars(
            sa.select(Meeting)
            .where(
                Meeting.circle_id.in_(enrolled_ids),
                Meeting.status == MeetingStatus.scheduled,
                Meeting.ends_at > now,
            )
            .options(so.joinedload(Meeting.circle))
            .order_by(Meeting.starts_at)
            .limit(20)
        ).all()
        if enrolled_ids
        else []
    )
    return render_template(
        "participation/mine.html",
        enrollments=enrollments,
        meetings=meetings,
        positions={e.id: services.waitlist_position(e) for e in enrollments},
        checkins={e.id: attendance.open_checkin(e, now) for e in enrollments},
    )


def _withdraw_page(enrollment: Enrollment, back: str, done: str):
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            by = current_user._get_current_object() if current_user.is_authenticated else None
            services.withdraw(enrollment, by=by, now=utcnow())
        except RuleViolation as violation:
            flash(violation.message, "error")
            return redirect(back)
        db.session.commit()
        flash(_("You have left “%(title)s”.", title=enrollment.circle.title), "success")
        return redirect(done)
    return render_template(
        "confirm.html",
        form=form,
        title=_("Leave circle"),
        question=_(
            "Leave “%(title)s”? Your seat goes to the next person on the waitlist and cannot be "
            "given back.",
            title=enrollment.circle.title,
        ),
        action=_("Leave circle"),
        cancel_url=back,
    )


@bp.route("/my/enrollments/<int:enrollment_id>/withdraw", methods=["GET", "POST"])
def withdraw(enrollment_id: int):
    enrollment = own_enrollment_or_404(enrollment_id)
    back = url_for("participation.mine")
    return _withdraw_page(enrollment, back, back)


@bp.route("/manage/<token>", methods=["GET"])
@public
def manage(token: str):
    enrollment = services.enrollment_for_token(token)
    if enrollment is None:
        abort(404)
    return render_template(
        "participation/manage.html",
        enrollment=enrollment,
        position=services.waitlist_position(enrollment),
        token=token,
    )


@bp.route("/manage/<token>/withdraw", methods=["GET", "POST"])
@public
def manage_withdraw(token: str):
    enrollment = services.enrollment_for_token(token)
    if enrollment is None:
        abort(404)
    back = url_for("participation.manage", token=token)
    return _withdraw_page(enrollment, back, back)


# --- the facilitator's roster ------------------------------------------------------------


@bp.get("/circles/<int:circle_id>/roster")
def roster(circle_id: int):
    circle = editable_circle_or_404(circle_id)
    enrollments = db.session.scalars(
        sa.select(Enrollment)
        .where(Enrollment.circle_id == circle.id)
        .order_by(Enrollment.status, Enrollment.waitlist_seq, Enrollment.created_at)
    ).all()
    groups = {s: [e for e in enrollments if e.status == s] for s in EnrollmentStatus}
    return render_template(
        "participation/roster.html",
        circle=circle,
        groups=groups,
        add_form=AddParticipantForm(),
        confirm=ConfirmForm(),
    )


@bp.post("/circles/<int:circle_id>/roster/add")
def add_participant(circle_id: int):
    circle = editable_circle_or_404(circle_id)
    form = AddParticipantForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            flash(errors[0], "error")
        return redirect(url_for("participation.roster", circle_id=circle.id))
    user = db.session.scalar(sa.select(User).where(User.email == form.email.data))
    if user is None and not form.name.data:
        flash(_("Enter a name: %(email)s has no account.", email=form.email.data), "error")
        return redirect(url_for("participation.roster", circle_id=circle.id))
    try:
        enrollment = services.join(
            circle,
            services.Joiner(
                name=user.name if user else form.name.data, email=form.email.data, user=user
            ),
            utcnow(),
        )
    except RuleViolation as violation:
        db.session.rollback()
        flash(violation.message, "error")
    else:
        db.session.commit()
        flash(
            _("%(name)s is %(status)s.", name=enrollment.name, status=_(enrollment.status)),
            "success",
        )
    return redirect(url_for("participation.roster", circle_id=circle.id))


def _roster_enrollment_or_404(enrollment_id: int) -> Enrollment:
    enrollment = db.session.get(Enrollment, enrollment_id)
    if enrollment is None:
        abort(404)
    editable_circle_or_404(enrollment.circle_id)
    return enrollment


@bp.post("/enrollments/<int:enrollment_id>/promote")
def promote(enrollment_id: int):
    enrollment = _roster_enrollment_or_404(enrollment_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        seated = services.move_up(enrollment, by=current_user._get_current_object(), now=utcnow())
    except RuleViolation as violation:
        db.session.rollback()
        flash(violation.message, "error")
    else:
        db.session.commit()
        flash(
            _("%(name)s is now enrolled.", name=enrollment.name)
            if seated
            else _(
                "The circle is full: %(name)s is now first on the waitlist.", name=enrollment.name
            ),
            "success",
        )
    return redirect(url_for("participation.roster", circle_id=enrollment.circle_id))


@bp.route("/enrollments/<int:enrollment_id>/remove", methods=["GET", "POST"])
def remove(enrollment_id: int):
    enrollment = _roster_enrollment_or_404(enrollment_id)
    back = url_for("participation.roster", circle_id=enrollment.circle_id)
    return _withdraw_page(enrollment, back, back)


@bp.route("/circles/<int:circle_id>/message", methods=["GET", "POST"])
def message(circle_id: int):
    circle = editable_circle_or_404(circle_id)
    form = MessageForm()
    recipients = services.enrolled_in(circle)
    if form.validate_on_submit():
        if not recipients:
            flash(_("Nobody is enrolled yet."), "error")
        else:
            sender = current_user._get_current_object()
            for enrollment in recipients:
                body = render_template(
                    "participation/email/message.txt",
                    enrollment=enrollment,
                    circle=circle,
                    sender=sender,
                    text=form.body.data,
                )
                queue_email(enrollment.email, f"[{circle.title}] {form.subject.data}", body)
            db.session.commit()
            flash(_("Message queued for %(count)d people.", count=len(recipients)), "success")
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
            e.email,
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
    return csv_response(header, rows, f"roster-circle-{circle.id}.csv")
