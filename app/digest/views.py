"""Digest pages: subscribe (signed in: at once; a guest: after confirming the address),
the signed-in person's subscriptions, confirm, unsubscribe (one click, no sign-in) and the
Atom and iCal feeds of each subscription.

Links with a token (``/digest/confirm/``, ``/digest/unsubscribe/``, ``/digest/feeds/``) are
redacted from logs (app/logs.py), send no Referer and are not cached."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from app.auth.permissions import public
from app.boundary import saving
from app.calendar.feeds import build_calendar, meeting_events
from app.digest import services
from app.digest.forms import DigestForm, GuestDigestForm
from app.emails import language
from app.errors import render_error
from app.extensions import csrf, db, limiter
from app.forms import ConfirmForm
from app.links import external_url, feed_links, host
from app.models import Branch
from app.participation.views import address_key, guest_address_limits, guest_limits
from app.timeutil import utcnow

bp = Blueprint("digest", __name__, url_prefix="/digest")

TOKEN_ENDPOINTS = frozenset({"digest.confirm", "digest.unsubscribe", "digest.atom", "digest.ical"})


@bp.after_request
def _secret_link_headers(response: Response) -> Response:
    if request.endpoint in TOKEN_ENDPOINTS:
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Cache-Control"] = "no-store"
    return response


def _bad_link():
    return render_error(
        400,
        _(
            "This digest link is not valid: it was changed, has expired or was used already. "
            "Nothing was changed."
        ),
    )


def _signed_in() -> bool:
    return current_user.is_authenticated


@bp.route("/", methods=["GET"])
def manage():
    """The signed-in person's subscriptions, with their feeds and an unsubscribe button."""
    subscriptions = services.subscriptions_of(current_user._get_current_object())
    branches = dict(db.session.execute(sa.select(Branch.id, Branch.name)).all())
    return render_template(
        "digest/manage.html",
        subscriptions=subscriptions,
        places={
            s.id: ", ".join(branches[b] for b in s.branch_ids if b in branches)
            for s in subscriptions
        },
        tokens={s.id: services.token_for(s, "unsubscribe") for s in subscriptions},
        feeds={s.id: services.token_for(s, "feed") for s in subscriptions},
        form=ConfirmForm(),
    )


@bp.route("/subscribe", methods=["GET", "POST"])
@public
@limiter.limit(guest_limits, methods=["POST"], exempt_when=_signed_in)
@limiter.limit(guest_address_limits, methods=["POST"], key_func=address_key, exempt_when=_signed_in)
def subscribe():
    """Staff subscribe at once; a visitor (public circles only) gets a link to confirm."""
    staff = current_user.is_authenticated
    form = DigestForm() if staff else GuestDigestForm()
    form.branch_ids.choices = [
        SelectChoice(b.id, b.name)
        for b in db.session.scalars(sa.select(Branch).order_by(Branch.name))
    ]
    status = 200
    if form.validate_on_submit():
        filters = services.Filters(
            frequency=form.frequency.data,
            skill_areas=form.skill_areas.data or [],
            branch_ids=[b for b in form.branch_ids.data or [] if b is not None],
            career_stage=form.career_stage.data,
            format=form.format.data,
        )
        with saving(form) as saved:
            if staff:
                services.subscribe_user(current_user._get_current_object(), filters, utcnow())
            else:
                services.subscribe_guest(
                    form.email.data, form.timezone.data, language(str(get_locale())), filters
                )
        if saved and staff:
            flash(_("You are subscribed to the digest."), "success")
            return redirect(url_for("digest.manage"))
        if saved:
            flash(
                _(
                    "Almost done: open the link we sent to %(email)s to start your digest.",
                    email=form.email.data,
                ),
                "info",
            )
            return redirect(url_for("digest.subscribe"))
        status = saved.status
    return render_template("digest/subscribe.html", form=form, staff=staff), status


@bp.route("/confirm/<token>", methods=["GET", "POST"])
@public
def confirm(token: str):
    """Opening the link changes nothing (mail scanners open links); the button confirms."""
    try:
        subscription = services.subscription_for(token, "confirm")
    except services.BadToken:
        return _bad_link()
    form = ConfirmForm()
    if form.validate_on_submit():
        services.confirm(subscription, utcnow())
        feed = services.token_for(subscription, "feed")
        return render_template("digest/confirmed.html", feed=feed)
    return render_template("digest/confirm.html", form=form, email=subscription.email)


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@public
# RFC 8058 one-click unsubscribe: a mail client POSTs "List-Unsubscribe=One-Click" to the
# List-Unsubscribe address with no session and no page, so it can carry no CSRF token. The
# signed token in the address is what authorises the change (a forged request would need it),
# so CSRF protection adds nothing here and would make one-click unsubscribe fail.
@csrf.exempt
def unsubscribe(token: str):
    """GET shows a button (mail scanners open links); POST unsubscribes, signed in or not."""
    try:
        subscription = services.subscription_for(token, "unsubscribe")
    except services.BadToken:
        return _bad_link()
    if request.method == "POST":
        services.unsubscribe(subscription)
        return render_template("digest/unsubscribed.html")
    return render_template("digest/unsubscribe.html", email=subscription.email, token=token)


def _feed(token: str):
    subscription = services.subscription_for(token, "feed")
    return subscription, services.listed(subscription, utcnow())


@bp.route("/feeds/<token>.atom")
@public
def atom(token: str):
    try:
        subscription, circles = _feed(token)
    except services.BadToken:
        return _bad_link()
    with force_locale(language(subscription.locale)):
        body = render_template(
            "digest/atom.xml",
            circles=circles,
            host=host(),
            self_url=external_url("digest.atom", token=token),
            links={c.id: external_url("circles.circle", circle_id=c.id) for c in circles},
            updated=max([c.updated_at for c in circles], default=subscription.updated_at),
        )
    return Response(body, mimetype="application/atom+xml")


@bp.route("/feeds/<token>.ics")
@public
def ical(token: str):
    try:
        subscription, circles = _feed(token)
    except services.BadToken:
        return _bad_link()
    meetings = services.upcoming_meetings(circles, utcnow())
    with force_locale(language(subscription.locale)):
        calendar = build_calendar(
            meeting_events(meetings, feed_links()), name=_("Learning Services digest")
        )
    return Response(calendar.to_ical(), mimetype="text/calendar")
