"""Joining circles and "my circles"; the ``participation`` blueprint, whose other pages are
in ``guest_views.py`` (guests' sign-up and manage links) and ``roster_views.py`` (the
facilitator's roster)."""

from __future__ import annotations

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from app.attendance import services as attendance
from app.auth.permissions import (
    facilitates,
    own_enrollment_or_404,
    public,
    visible_circle_or_404,
)
from app.boundary import back_to, saving
from app.emails import language
from app.extensions import db, limiter
from app.forms import ConfirmForm
from app.models import Circle, Enrollment, EnrollmentStatus, Meeting, MeetingStatus
from app.participation import guests, overflow, services
from app.participation.forms import GuestJoinForm, JoinForm
from app.participation.places import held_by
from app.timeutil import utcnow

bp = Blueprint("participation", __name__)

# Guests' sign-ups and "lost your link?" requests send email to the address typed in, so
# they are limited per client and per address (settings of the same names override these).
GUEST_EMAIL_LIMITS = "10 per minute;50 per hour"
GUEST_EMAIL_ADDRESS_LIMITS = "5 per hour;20 per day"


def guest_limits() -> str:
    return current_app.config.get("GUEST_EMAIL_LIMITS", GUEST_EMAIL_LIMITS)


def guest_address_limits() -> str:
    return current_app.config.get("GUEST_EMAIL_ADDRESS_LIMITS", GUEST_EMAIL_ADDRESS_LIMITS)


def address_key() -> str:
    return "guest-email:" + (request.form.get("email") or "").strip().lower()[:254]


def _signed_in() -> bool:
    return current_user.is_authenticated


def _join_form(circle: Circle, facilitating: bool) -> JoinForm:
    form = JoinForm() if current_user.is_authenticated else GuestJoinForm()
    # Only what this circle asks is on the form (and so checked); a facilitator is asked
    # nothing: their join goes straight to the service, which refuses it.
    if circle.custom_question and not facilitating:
        form.answer.label.text = circle.custom_question
    else:
        del form.answer
    if not circle.ask_goals or facilitating:
        del form.goals
    return form


def flash_joined(enrollment: Enrollment) -> None:
    if enrollment.status == EnrollmentStatus.enrolled:
        flash(
            _("You are in! A confirmation is on its way to %(email)s.", email=enrollment.email),
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


@bp.route("/circles/<int:circle_id>/join", methods=["GET", "POST"])
@public
@limiter.limit(guest_limits, methods=["POST"], exempt_when=_signed_in)
@limiter.limit(guest_address_limits, methods=["POST"], key_func=address_key, exempt_when=_signed_in)
def join(circle_id: int):
    """Staff join in one click. A guest's sign-up only sends the address a link to confirm,
    and the answer is the same whatever the address (new, already in, or an account's)."""
    circle = visible_circle_or_404(circle_id)
    now = utcnow()
    # Its lead and co-facilitators are pointed to their panel instead of the form.
    facilitating = facilitates(current_user, circle)
    form = _join_form(circle, facilitating)
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
            # A guest's emails are written in the language of the page they signed up on.
            locale=None if user else language(str(get_locale())),
        )
        with saving(form) as saved:
            if user is None:
                guests.request_guest_signup(circle, joiner, now)
            else:
                enrollment = services.join(circle, joiner, now)
        if saved and user is None:
            return redirect(url_for("participation.signup_sent", circle_id=circle.id))
        if saved:
            flash_joined(enrollment)
            return redirect(url_for("participation.mine"))
        status = saved.status
        if user is not None:  # a double click: show the place the other click took
            mine = services.place_of(circle, user.email)
    return (
        render_template(
            "participation/join.html",
            circle=circle,
            form=form,
            mine=mine,
            facilitating=facilitating,
            closed=services.joining_closed_reason(circle, now),
            position=services.waitlist_position(mine) if mine else None,
            hours=guests.SIGNUP_LINK_HOURS,
        ),
        status,
    )


@bp.get("/circles/<int:circle_id>/join/sent")
@public
def signup_sent(circle_id: int):
    circle = visible_circle_or_404(circle_id)
    return render_template(
        "participation/signup_sent.html", circle=circle, hours=guests.SIGNUP_LINK_HOURS
    )


@bp.get("/my/circles")
def mine():
    now = utcnow()
    enrollments = db.session.scalars(
        sa.select(Enrollment)
        .where(
            held_by(current_user),
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
        offers=overflow.open_offers_for(current_user.email),
        confirm=ConfirmForm(),
    )


def withdraw_page(enrollment: Enrollment, back: str, done: str):
    form = ConfirmForm()
    if form.validate_on_submit():
        back_to(back)
        by = current_user._get_current_object() if current_user.is_authenticated else None
        services.withdraw(enrollment, by=by, now=utcnow())
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
    return withdraw_page(enrollment, back, back)


# The blueprint's other pages: imported for their routes (they import ``bp`` from here).
from app.participation import guest_views, overflow_views, roster_views  # noqa: E402, F401
