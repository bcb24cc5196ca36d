"""Joining circles, "my circles", guests' sign-up by email and manage links, and the
facilitator's roster.

Pages reached with a secret in their address live under ``/join/confirm/<token>`` and
``/manage/<token>`` (the log filter redacts both): they send no Referer and are not cached."""

from __future__ import annotations

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from app.attendance import services as attendance
from app.auth.permissions import (
    editable_circle_or_404,
    own_enrollment_or_404,
    public,
    visible_circle_or_404,
)
from app.boundary import back_to, saving
from app.csvio import csv_response
from app.extensions import db, limiter
from app.forms import ConfirmForm
from app.models import Circle, Enrollment, EnrollmentStatus, Meeting, MeetingStatus
from app.participation import guests, services
from app.participation.forms import (
    AddParticipantForm,
    GuestJoinForm,
    JoinForm,
    LostLinkForm,
    MessageForm,
)
from app.timeutil import utcnow

bp = Blueprint("participation", __name__)

# Guests' sign-ups and "lost your link?" requests send email to the address typed in, so
# they are limited per client and per address (settings of the same names override these).
GUEST_EMAIL_LIMITS = "10 per minute;50 per hour"
GUEST_EMAIL_ADDRESS_LIMITS = "5 per hour;20 per day"

SECRET_LINK_ENDPOINTS = frozenset(
    {"participation.confirm_signup", "participation.manage", "participation.manage_withdraw"}
)


def _guest_limits() -> str:
    return current_app.config.get("GUEST_EMAIL_LIMITS", GUEST_EMAIL_LIMITS)


def _guest_address_limits() -> str:
    return current_app.config.get("GUEST_EMAIL_ADDRESS_LIMITS", GUEST_EMAIL_ADDRESS_LIMITS)


def _address_key() -> str:
    return "guest-email:" + (request.form.get("email") or "").strip().lower()[:254]


def _signed_in() -> bool:
    return current_user.is_authenticated


@bp.after_request
def _secret_link_headers(response: Response) -> Response:
    """The token in the address must not leak through the Referer header or a cache."""
    if request.endpoint in SECRET_LINK_ENDPOINTS:
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Cache-Control"] = "no-store"
    return response


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


def _flash_joined(enrollment: Enrollment) -> None:
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
@limiter.limit(_guest_limits, methods=["POST"], exempt_when=_signed_in)
@limiter.limit(
    _guest_address_limits, methods=["POST"], key_func=_address_key, exempt_when=_signed_in
)
def join(circle_id: int):
    """Staff join in one click. A guest's sign-up only sends the address a link to confirm,
    and the answer is the same whatever the address (new, already in, or an account's)."""
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
        with saving(form) as saved:
            if user is None:
                guests.request_guest_signup(circle, joiner, now)
            else:
                enrollment = services.join(circle, joiner, now)
        if saved and user is None:
            return redirect(url_for("participation.signup_sent", circle_id=circle.id))
        if saved:
            _flash_joined(enrollment)
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


@bp.route("/join/confirm/<token>", methods=["GET", "POST"])
@public
def confirm_signup(token: str):
    """The link in the sign-up email. Opening it changes nothing (mail scanners open links);
    the button does, once. Used, expired and unknown links are the same 404."""
    now = utcnow()
    signup = guests.signup_for_token(token, now)
    if signup is None:
        abort(404)
    form = ConfirmForm()
    problem = None
    sign_in = False
    status = 200
    if form.validate_on_submit():
        try:
            with saving(form) as saved:
                confirmed = guests.confirm_guest_signup(signup, now)
        except guests.SignupGone:
            abort(404)
        if not saved:  # the refusal is flashed; say where to go from here
            problem = True
            sign_in = saved.field == "account"
            status = saved.status
        else:
            if confirmed.new:
                _flash_joined(confirmed.enrollment)
            else:
                flash(
                    _(
                        "You were already signed up for this circle. A new link to this page "
                        "is on its way to %(email)s; links sent before no longer work.",
                        email=confirmed.enrollment.email,
                    ),
                    "info",
                )
            return redirect(url_for("participation.manage", token=confirmed.token))
    circle = signup.circle
    return (
        render_template(
            "participation/confirm_signup.html",
            signup=signup,
            circle=circle,
            form=form,
            problem=problem,
            sign_in=sign_in,
            closed=services.joining_closed_reason(circle, now),
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
    # Leaving ends the link, so afterwards the circle's page is where there is to go.
    return _withdraw_page(
        enrollment, back, url_for("circles.circle", circle_id=enrollment.circle_id)
    )


@bp.route("/join/lost-link", methods=["GET", "POST"])
@public
@limiter.limit(_guest_limits, methods=["POST"])
@limiter.limit(_guest_address_limits, methods=["POST"], key_func=_address_key)
def lost_link():
    """A guest's manage link is shown only once (only its hash is kept): this emails a new
    one for each place the address holds, and says the same whether it holds any or not."""
    form = LostLinkForm()
    if form.validate_on_submit():
        guests.send_lost_links(form.email.data)
        flash(
            _(
                "If %(email)s holds a place in a circle, a new link for each place is on its "
                "way; links sent before stop working.",
                email=form.email.data,
            ),
            "info",
        )
        return redirect(url_for("participation.lost_link"))
    return render_template("participation/lost_link.html", form=form)


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
    back = back_to(url_for("participation.roster", circle_id=circle.id))
    enrollment = services.add_participant(circle, form.email.data, form.name.data, utcnow())
    flash(
        _("%(name)s is %(status)s.", name=enrollment.name, status=_(enrollment.status)),
        "success",
    )
    return redirect(back)


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
    enrollment = _roster_enrollment_or_404(enrollment_id)
    back = url_for("participation.roster", circle_id=enrollment.circle_id)
    return _withdraw_page(enrollment, back, back)


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
            flash(_("Message queued for %(count)d people.", count=count), "success")
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
