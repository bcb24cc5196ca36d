"""Evaluation pages: a participant's survey, the facilitators' wrap-up, a meeting's
reflection (posted from its attendance sheet) and a circle's results, whose free text only
its facilitators, its branch's managers and admins see."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.auth.permissions import (
    can_see_evaluation,
    editable_part_or_404,
    facilitates,
    visible_circle_or_404,
)
from app.boundary import back_to, saving
from app.evaluation import services
from app.evaluation.forms import ReflectionForm, SurveyForm, WrapUpForm
from app.extensions import db
from app.models import Circle, Meeting, User, WrapUp
from app.rules import RuleViolation
from app.timeutil import utcnow

bp = Blueprint("evaluation", __name__)


def _me() -> User:
    return current_user._get_current_object()


@bp.route("/circles/<int:circle_id>/survey", methods=["GET", "POST"])
def survey(circle_id: int):
    circle = visible_circle_or_404(circle_id)
    now = utcnow()
    place = services.place_of(circle, _me())
    earlier = services.answer_of(place) if place else None
    form = SurveyForm()
    if form.validate_on_submit():
        with saving(form) as saved:
            services.answer(circle, place, form.values(), now, current_user.timezone)
        if saved:
            flash(_("Thank you: your answers are saved."), "success")
            return redirect(url_for("circles.circle", circle_id=circle.id))
        return render_template(
            "evaluation/survey.html", circle=circle, form=form, earlier=earlier, refused=None
        ), saved.status
    return render_template(
        "evaluation/survey.html",
        circle=circle,
        form=form,
        earlier=earlier,
        refused=None if earlier else services.refusal(circle, place, now),
    )


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
