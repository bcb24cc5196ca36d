"""Self-paced completions (issue 14): the person reports a course finished on their own, their
managers and admins review the queue; and one person's progress on every pathway they follow,
for them and those who may see it. Who sees what: app/auth/permissions.py."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.auth.permissions import (
    can_review_self_paced,
    can_see_person_progress,
    self_paced_reviewers_see,
    sign_in_or_404,
)
from app.boundary import saving
from app.extensions import db
from app.models import SelfPacedCompletion, SelfPacedStatus, User
from app.pathways import progress, self_paced, services
from app.pathways.forms import ReviewForm, SelfPacedForm
from app.pathways.views import bp
from app.timeutil import local_today, utcnow


def _me() -> User:
    return current_user._get_current_object()


@bp.route("/self-paced", methods=["GET", "POST"])
def self_paced_mine():
    """Report a course finished on one's own; the list of one's own, with their status."""
    form = SelfPacedForm()
    form.offer(list(db.session.scalars(self_paced.reportable_courses())))
    status = 200
    if form.validate_on_submit():
        data = self_paced.Report(form.course.data, form.completed_on.data, form.evidence.data or "")
        with saving(form) as saved:
            row = self_paced.report(_me(), data, local_today(current_user.timezone))
        if saved:
            flash(
                _("Reported “%(course)s”: your manager confirms it.", course=row.course.title),
                "success",
            )
            return redirect(url_for("pathways.self_paced_mine"))
        status = saved.status
    return render_template(
        "pathways/self_paced.html",
        form=form,
        mine=self_paced.of(_me()),
        home_branch=current_user.home_branch,
    ), status


@bp.get("/confirmations")
def confirmations():
    """The reviewer's queue: their own staff's reported courses (admins: everyone's)."""
    people = self_paced_reviewers_see(current_user)
    if people is None:
        abort(403)
    return render_template("pathways/confirmations.html", waiting=self_paced.waiting(people, _me()))


def _completion_or_404(completion_id: int) -> SelfPacedCompletion:
    """The person's own, or one the viewer may review; anyone else's looks missing."""
    row = db.session.get(SelfPacedCompletion, completion_id)
    if row is None or not (
        row.user_id == current_user.id or can_review_self_paced(current_user, row.user)
    ):
        sign_in_or_404()
    return row


@bp.route("/self-paced/<int:completion_id>", methods=["GET", "POST"])
def self_paced_item(completion_id: int):
    row = _completion_or_404(completion_id)
    may_review = can_review_self_paced(current_user, row.user)
    form = ReviewForm() if may_review else None
    status = 200
    if form is not None and form.validate_on_submit():
        confirm = form.decision.data == "confirm"
        with saving(form) as saved:
            self_paced.review(
                row, by=_me(), confirm=confirm, note=form.note.data or "", now=utcnow()
            )
        if saved:
            message = _("Confirmed: it counts on %(name)s's pathways.", name=row.user.name)
            if not confirm:
                message = _("Declined: %(name)s is told why.", name=row.user.name)
            flash(message, "success")
            return redirect(url_for("pathways.confirmations"))
        status = saved.status
    elif form is None and request.method == "POST":
        abort(403)  # the person cannot review their own
    return render_template(
        "pathways/self_paced_item.html",
        row=row,
        form=form if row.status == SelfPacedStatus.reported else None,
        own=row.user_id == current_user.id,
    ), status


@bp.get("/people/<int:person_id>")
def person(person_id: int):
    """One person's progress on every pathway they follow: them, their managers, admins."""
    who = db.session.get(User, person_id)
    if who is None or not can_see_person_progress(current_user, who):
        sign_in_or_404()
    followed = services.followed(who)
    return render_template(
        "pathways/person.html",
        person=who,
        found=progress.progress_of(followed, [who.id]),
        pathways_by_id={p.id: p for p in followed},
        confirmed=self_paced.of(who, SelfPacedStatus.confirmed),
    )
