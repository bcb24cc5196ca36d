"""Evaluation pages: a participant's survey (signed in, or by a guest's signed link), the
facilitators' wrap-up, a meeting's reflection (posted from its attendance sheet) and a
circle's results, whose free text only its facilitators, its branch's managers and admins
see."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.auth.permissions import (
    can_see_evaluation,
    editable_part_or_404,
    facilitates,
    public,
    visible_circle_or_404,
)
from app.boundary import back_to, saving
from app.errors import render_error
from app.evaluation import services
from app.evaluation.forms import ReflectionForm, SurveyForm, WrapUpForm
from app.extensions import db
from app.models import Circle, Enrollment, Meeting, User, WrapUp
from app.rules import RuleViolation
from app.timeutil import utcnow

bp = Blueprint("evaluation", __name__)


def _me() -> User:
    return current_user._get_current_object()


def _survey_page(circle: Circle, place: Enrollment | None, tz: str, action: str, done: str):
    """The survey for one place, signed in or by a guest's link: the same form, template and
    rules (``services.answer``); ``tz`` is the reader's zone for dates, ``action`` where the
    form posts and ``done`` where a saved answer goes."""
    now = utcnow()
    earlier = services.answer_of(place) if place else None
    form = SurveyForm()
    context = {"circle": circle, "form": form, "earlier": earlier, "tz": tz, "action": action}
    if form.validate_on_submit():
        with saving(form) as saved:
            services.answer(circle, place, form.values(), now, tz)
        if saved:
            flash(_("Thank you: your answers are saved."), "success")
            return redirect(done)
        return render_template("evaluation/survey.html", refused=None, **context), saved.status
    refused = None if earlier else services.refusal(circle, place, now)
    return render_template("evaluation/survey.html", refused=refused, **context)


@bp.route("/circles/<int:circle_id>/survey", methods=["GET", "POST"])
def survey(circle_id: int):
    circle = visible_circle_or_404(circle_id)
    here = url_for("evaluation.survey", circle_id=circle.id)
    done = url_for("circles.circle", circle_id=circle.id)
    return _survey_page(circle, services.place_of(circle, _me()), current_user.timezone, here, done)


# The guest's link carries a secret: app/logs.py redacts ``/survey/<token>`` from logs, and
# app/security.py sends such pages with no Referer and no caching. Like the guests' manage
# link (participation.manage) it is not rate-limited: the token is signed, so it cannot be
# guessed, and answering sends no email.
@bp.route("/survey/<token>", methods=["GET", "POST"])
@public
def guest_survey(token: str):
    """A guest answers from the link in their invitation, without an account; dates are in
    the circle's time zone. A link we did not sign is a 400 that says so; a place that was
    left is refused as anyone without a place is."""
    try:
        enrollment = services.place_for_survey_token(token)
    except services.BadSurveyLink:
        return render_error(
            400,
            _("This survey link is not valid: it was changed or cut short. Nothing was saved."),
        )
    here = url_for("evaluation.guest_survey", token=token)
    circle = enrollment.circle
    return _survey_page(circle, services.answering(enrollment), circle.timezone, here, here)


def _facilitated_circle_or_404(circle_id: int) -> Circle:
    circle = visible_circle_or_404(circle_id)
    if not facilitates(current_user, circle):
        abort(403)
    return circle


@bp.route("/circles/<int:circle_id>/wrap-up", methods=["GET", "POST"])
def wrap_up(circle_id: int):
    circle = _facilitated_circle_or_404(circle_id)
    existing = db.session.get(WrapUp, circle.id)
    form = WrapUpForm(obj=existing)
    if existing is not None and not form.is_submitted():
        form.would_run_again.data = "yes" if existing.would_run_again else "no"
    if form.validate_on_submit():
        with saving(form) as saved:
            services.save_wrap_up(circle, form.values(), _me())
        if saved:
            flash(_("Wrap-up saved."), "success")
            return redirect(url_for("evaluation.results", circle_id=circle.id))
    return render_template("evaluation/wrap_up.html", circle=circle, form=form)


@bp.post("/meetings/<int:meeting_id>/reflection")
def reflection(meeting_id: int):
    meeting = editable_part_or_404(Meeting, meeting_id)
    if not facilitates(current_user, meeting.circle):
        abort(403)
    back_to(url_for("attendance.sheet", meeting_id=meeting.id))
    form = ReflectionForm()
    if not form.validate_on_submit():
        errors = form.reflection.errors or [_("The form expired: please try again.")]
        raise RuleViolation(" ".join(str(e) for e in errors), "reflection")
    services.save_reflection(meeting, form.reflection.data or "", utcnow())
    flash(_("Reflection saved."), "success")
    return redirect(url_for("attendance.sheet", meeting_id=meeting.id))


@bp.get("/circles/<int:circle_id>/evaluation")
def results(circle_id: int):
    circle = visible_circle_or_404(circle_id)
    if not can_see_evaluation(current_user, circle):
        abort(404)
    return render_template(
        "evaluation/results.html",
        circle=circle,
        figures=services.figures(Circle.id == circle.id),
        answers=services.circle_answers(circle),
        wrap_up=db.session.get(WrapUp, circle.id),
        reflections=[m for m in circle.meetings if m.reflection],
        can_write=facilitates(current_user, circle),
    )
