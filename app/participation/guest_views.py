"""Guests' pages: confirming a sign-up from the emailed link, the manage link, and "lost
your link?". Part of the ``participation`` blueprint (``views.py``).

Pages reached with a secret in their address live under ``/join/confirm/<token>`` and
``/manage/<token>`` (the log filter redacts both): they send no Referer and are not cached."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.auth.permissions import public
from app.boundary import saving
from app.extensions import limiter
from app.forms import ConfirmForm
from app.participation import guests, services
from app.participation.forms import LostLinkForm
from app.participation.views import (
    address_key,
    bp,
    flash_joined,
    guest_address_limits,
    guest_limits,
    withdraw_page,
)
from app.timeutil import utcnow

SECRET_LINK_ENDPOINTS = frozenset(
    {"participation.confirm_signup", "participation.manage", "participation.manage_withdraw"}
)


@bp.after_request
def _secret_link_headers(response: Response) -> Response:
    """The token in the address must not leak through the Referer header or a cache."""
    if request.endpoint in SECRET_LINK_ENDPOINTS:
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Cache-Control"] = "no-store"
    return response


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
                flash_joined(confirmed.enrollment)
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
    return withdraw_page(
        enrollment, back, url_for("circles.circle", circle_id=enrollment.circle_id)
    )


@bp.route("/join/lost-link", methods=["GET", "POST"])
@public
@limiter.limit(guest_limits, methods=["POST"])
@limiter.limit(guest_address_limits, methods=["POST"], key_func=address_key)
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
