"""The admin's list of credentials: list (with how many outcomes name each), add, edit,
retire or put back, and delete one nobody used. Nested in the attendance blueprint:
endpoints ``attendance.credentials.*``."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.attendance import credentials as rules
from app.attendance.forms import CredentialForm
from app.auth.permissions import can_keep_credentials
from app.boundary import back_to, saving
from app.extensions import db
from app.forms import ConfirmForm
from app.models import Credential, User

bp = Blueprint("credentials", __name__, url_prefix="/credentials")


def _admin() -> User:
    if not can_keep_credentials(current_user):
        abort(403)
    return current_user._get_current_object()


def _credential_or_404(credential_id: int) -> tuple[Credential, User]:
    me = _admin()
    credential = db.session.get(Credential, credential_id)
    if credential is None:
        abort(404)
    return credential, me


def _input(form: CredentialForm) -> rules.CredentialInput:
    return rules.CredentialInput(
        name=form.name.data or "",
        kind=form.kind.data,
        awarding_body=form.awarding_body.data or "",
        ce_hours=form.ce_hours.data,
        renewal_months=form.renewal_months.data,
        renewal_ce_hours=form.renewal_ce_hours.data,
    )


@bp.get("/")
def index():
    _admin()
    return render_template(
        "attendance/credentials.html",
        rows=rules.credentials_with_uses(),
        confirm=ConfirmForm(),
    )


def _form_page(credential: Credential | None, me: User):
    form = CredentialForm(obj=credential)
    status = 200
    if form.validate_on_submit():
        with saving(form) as saved:
            kept = rules.save_credential(credential, _input(form), by=me)
        if saved:
            flash(_("Saved “%(name)s”.", name=kept.name), "success")
            return redirect(url_for("attendance.credentials.index"))
        status = saved.status
    page = render_template("attendance/credential_form.html", form=form, credential=credential)
    return page, status


@bp.route("/new", methods=["GET", "POST"])
def new():
    return _form_page(None, _admin())


@bp.route("/<int:credential_id>/edit", methods=["GET", "POST"])
def edit(credential_id: int):
    return _form_page(*_credential_or_404(credential_id))


def _confirm_page(title: str, question: str, action: str):
    return render_template(
        "confirm.html",
        form=ConfirmForm(),
        title=title,
        question=question,
        action=action,
        cancel_url=url_for("attendance.credentials.index"),
    )


@bp.route("/<int:credential_id>/retire", methods=["GET", "POST"])
def retire(credential_id: int):
    credential, me = _credential_or_404(credential_id)
    if ConfirmForm().validate_on_submit():
        back_to(url_for("attendance.credentials.index"))
        rules.retire_credential(credential, by=me)
        flash(_("“%(name)s” is retired.", name=credential.name), "success")
        return redirect(url_for("attendance.credentials.index"))
    return _confirm_page(
        _("Retire credential"),
        _(
            "Retire “%(name)s”? It will no longer be offered for new outcomes; the "
            "outcomes that name it keep it, and you can put it back later.",
            name=credential.name,
        ),
        _("Retire credential"),
    )


@bp.post("/<int:credential_id>/restore")
def restore(credential_id: int):
    credential, me = _credential_or_404(credential_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    back_to(url_for("attendance.credentials.index"))
    rules.restore_credential(credential, by=me)
    flash(_("“%(name)s” is back on the list.", name=credential.name), "success")
    return redirect(url_for("attendance.credentials.index"))


@bp.route("/<int:credential_id>/delete", methods=["GET", "POST"])
def delete(credential_id: int):
    credential, me = _credential_or_404(credential_id)
    if ConfirmForm().validate_on_submit():
        back_to(url_for("attendance.credentials.index"))
        name = credential.name
        rules.delete_credential(credential, by=me)
        flash(_("“%(name)s” is deleted.", name=name), "success")
        return redirect(url_for("attendance.credentials.index"))
    return _confirm_page(
        _("Delete credential"),
        _("Delete “%(name)s”? This cannot be undone.", name=credential.name),
        _("Delete credential"),
    )
