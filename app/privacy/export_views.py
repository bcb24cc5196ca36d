"""A person's own data as a zip (and an administrator's copy of anyone's: a subject access
request), and the log of who saw or exported personal data (audit_views.py)."""

from __future__ import annotations

import io

from flask import Blueprint, abort, render_template, request, send_file
from flask_login import current_user

from app.auth.permissions import can_see_personal_data
from app.extensions import db
from app.forms import ConfirmForm
from app.models import User
from app.privacy import audit, export
from app.timeutil import utcnow

bp = Blueprint("privacy_export", __name__)


def admin_or_403() -> None:
    if not can_see_personal_data(current_user):
        abort(403)


def _page_or_zip(person: User, own: bool):
    """The page saying what the zip holds; its button (a POST with CSRF) downloads it."""
    form = ConfirmForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        return _download(person, own)
    return render_template("privacy/export.html", form=form, person=person, own=own)


def _download(person: User, own: bool):
    now = utcnow()
    data = export.build_zip(person, now)
    audit.record(audit.EXPORTED, audit.person(person), "data_zip")
    name = "my-data" if own else f"person-{person.id}-data"
    response = send_file(
        io.BytesIO(data),
        mimetype="application/zip",
        as_attachment=True,
        download_name=f"{name}-{now:%Y-%m-%d}.zip",
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/me/data", methods=["GET", "POST"])
def mine():
    return _page_or_zip(current_user._get_current_object(), own=True)


@bp.route("/admin/people/<int:person_id>/data", methods=["GET", "POST"])
def person(person_id: int):
    admin_or_403()
    person = db.session.get(User, person_id)
    if person is None:
        abort(404)
    return _page_or_zip(person, own=person.id == current_user.id)


from app.privacy import audit_views  # noqa: E402, F401  (the log's page, on this blueprint)
