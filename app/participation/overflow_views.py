"""Overflow cohorts: the wizard pre-filled from a full circle (``?overflow_of=<id>``), offering
its waitlist the seats of another circle on the same course (from the roster), and answering
an offer (the emailed secret link ``/offer/<token>``, or "my circles" when signed in). Part of
the ``participation`` blueprint (``views.py``); the rules are in ``overflow.py``."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from werkzeug.exceptions import NotFound

from app.auth.permissions import editable_circle_or_404, own_offer_or_404, public
from app.boundary import back_to
from app.edges import to_id
from app.extensions import db
from app.forms import ConfirmForm
from app.models import Circle, OverflowOffer
from app.participation import overflow
from app.participation.places import waitlisted_in
from app.participation.views import bp, flash_joined
from app.timeutil import utcnow

ANSWERS = ("accept", "decline")


def fill_wizard(form) -> bool:
    """The circle wizard's ``?overflow_of=<circle id>``: a second cohort of a full circle,
    pre-filled with its course, title, description, format, audience, seats, branch and
    questions; when it meets (and so its room and facilitators' clashes) is to be chosen.
    False without the parameter; a circle the user may not edit is not found."""
    raw = request.args.get("overflow_of")
    if raw is None:
        return False
    circle = editable_circle_or_404(to_id(raw) or 0)
    form.course_id.data = circle.course_id
    form.branch_id.data = circle.branch_id
    form.format.data = circle.format
    form.join_url.data = circle.join_url
    form.timezone.data = circle.timezone
    form.title.data = _("%(title)s (second cohort)", title=circle.title)
    form.description.data = circle.description
    form.welcome_message.data = circle.welcome_message
    form.capacity.data = circle.capacity
    form.audience.data = circle.audience
    form.ask_goals.data = circle.ask_goals
    form.custom_question.data = circle.custom_question
    meetings = circle.scheduled_meetings
    if meetings:
        first = meetings[0]
        form.meeting_count.data = len(meetings)
        form.duration_minutes.data = int((first.ends_at - first.starts_at).total_seconds() // 60)
    waiting = len(waitlisted_in(circle))
    flash(
        ngettext(
            "An overflow cohort of “%(title)s” (%(num)d person waiting): choose when it meets "
            "and a free room. Once it is published, offer its seats from the roster.",
            "An overflow cohort of “%(title)s” (%(num)d people waiting): choose when it meets "
            "and a free room. Once it is published, offer its seats from the roster.",
            waiting,
            title=circle.title,
        ),
        "info",
    )
    return True


@bp.post("/circles/<int:circle_id>/overflow/offer")
def offer_seats(circle_id: int):
    """From the full circle's roster: offer the seats of ``target_id`` to its waitlist."""
    original = editable_circle_or_404(circle_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    target = editable_circle_or_404(to_id(request.form.get("target_id")) or 0)
    back = back_to(url_for("participation.roster", circle_id=original.id))
    made = overflow.offer_seats(original, target, utcnow())
    flash(
        ngettext(
            "A seat in “%(title)s” is offered to %(num)d person on the waitlist, by email.",
            "Seats in “%(title)s” are offered to %(num)d people on the waitlist, by email.",
            len(made),
            title=target.title,
        ),
        "success",
    )
    return redirect(back)


def _gone() -> NotFound:
    error = NotFound(
        _(
            "This offer link does not work: it was already answered, or it is not complete. "
            "Copy the whole link from the email, or ask the circle's facilitator."
        )
    )
    error.user_message = True  # type: ignore[attr-defined]
    return error


@bp.route("/offer/<token>", methods=["GET", "POST"])
@public
def offer(token: str):
    """The link in the offer email. Opening it changes nothing (mail scanners open links);
    "Accept" or "Decline" does, once. Answered, altered and unknown links are a 404."""
    item = overflow.offer_for_token(token)
    if item is None:
        raise _gone()
    form = ConfirmForm()
    if form.validate_on_submit():
        answer = request.form.get("answer")
        if answer not in ANSWERS:
            abort(400)
        back_to(url_for("participation.offer", token=token))
        by = current_user._get_current_object() if current_user.is_authenticated else None
        return _answered(item, answer, by)
    return render_template(
        "participation/offer.html",
        offer=item,
        form=form,
        stale=overflow.stale_reason(item),
        chosen=request.args.get("answer") if request.args.get("answer") in ANSWERS else None,
        now=utcnow(),
        tz=current_user.timezone if current_user.is_authenticated else item.circle.timezone,
    )


@bp.post("/my/offers/<int:offer_id>")
def answer_offer(offer_id: int):
    """Signed in: answer an offer from "my circles"."""
    item = own_offer_or_404(offer_id)
    answer = request.form.get("answer")
    if not ConfirmForm().validate_on_submit() or answer not in ANSWERS:
        abort(400)
    back_to(url_for("participation.mine"))
    return _answered(item, answer, current_user._get_current_object())


def _answered(item: OverflowOffer, answer: str, by):
    now = utcnow()
    original: Circle = item.enrollment.circle
    if answer == "decline":
        overflow.decline(item, now=now)
        flash(
            _(
                "You declined the seat and keep your place on the waitlist of “%(title)s”.",
                title=original.title,
            ),
            "success",
        )
        if item.enrollment.user_id is not None:
            return redirect(url_for("participation.mine"))
        return redirect(url_for("circles.circle", circle_id=original.id))
    joined = overflow.accept(item, by=by, now=now)
    flash_joined(joined)
    if joined.user_id is not None:
        return redirect(url_for("participation.mine"))
    db.session.flush()
    return redirect(url_for("participation.manage", token=joined.manage_token))
