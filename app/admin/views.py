"""Administrators manage people and their roles."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from app.admin import imports, services
from app.admin.forms import UserForm, UserSearchForm
from app.auth.permissions import admin_required
from app.boundary import saving
from app.csvio import csv_response
from app.edges import page_arg
from app.extensions import db
from app.imports import (
    PREVIEW_LIMIT,
    SaveUploadForm,
    UploadForm,
    check_upload,
    confirmed_upload,
    save_form_for,
)
from app.models import Branch, User

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@admin_required
def _admins_only() -> None:
    """Every page here is for administrators."""


def _user_form(user: User | None) -> UserForm:
    form = UserForm(obj=user)
    branches = list(db.session.scalars(sa.select(Branch).order_by(Branch.name)))
    form.managed_branches.choices = [SelectChoice(b.id, b.name) for b in branches]
    form.home_branch.choices = [SelectChoice("", _("No home branch"))] + [
        SelectChoice(b.id, b.name) for b in branches
    ]
    if user is not None and not form.is_submitted():
        form.managed_branches.data = [b.id for b in user.managed_branches]
        form.home_branch.data = user.home_branch_id
    return form


def _save(form: UserForm, user: User | None) -> User:
    return services.save_user(
        user,
        acting=current_user._get_current_object(),
        name=form.name.data,
        email=form.email.data,
        timezone=form.timezone.data,
        is_facilitator=form.is_facilitator.data,
        is_admin=form.is_admin.data,
        active=form.active.data,
        branch_ids=form.managed_branches.data or [],
        home_branch_id=form.home_branch.data,
    )


@bp.get("/users")
def users():
    search = UserSearchForm(request.args)
    q = search.q.data if search.validate() else None
    page = db.paginate(
        services.search_users(q),
        page=page_arg(),
        per_page=current_app.config["PER_PAGE"],
        error_out=False,
    )
    return render_template("admin/users.html", page=page, search=search, q=q or "")


@bp.route("/users/new", methods=["GET", "POST"])
def new_user():
    form = _user_form(None)
    if form.validate_on_submit():
        with saving(form) as saved:
            user = _save(form, None)
            services.invite(user)
        if saved:
            flash(
                _("Account created; %(email)s gets a link to set a password.", email=user.email),
                "success",
            )
            return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=None)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def edit_user(user_id: int):
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    form = _user_form(user)
    if form.validate_on_submit():
        with saving(form) as saved:
            _save(form, user)
        if saved:
            flash(_("Account saved."), "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=user)


# --- staff accounts from CSV (app.admin.imports; the steps of app.imports) -------------------


@bp.get("/people/import/template.csv")
def import_template():
    """The first row and one example row: a file to fill in."""
    return csv_response(imports.CSV_HEADER, [imports.EXAMPLE_ROW], "staff-template.csv")


@bp.route("/people/import", methods=["GET", "POST"])
def import_people():
    """Step 1: upload. A valid upload answers with the preview (step 2), never saving."""
    form = UploadForm()
    if form.validate_on_submit():
        plan, token = check_upload(form.file.data.read(), imports.plan_import, imports.SALT)
        return _import_preview(plan, token)
    return render_template(
        "admin/import.html",
        form=form,
        header=",".join(imports.CSV_HEADER),
        roles=imports.ROLES,
        link_days=current_app.config["WELCOME_LINK_DAYS"],
    )


@bp.post("/people/import/save")
def save_import():
    """Step 3: create the accounts the preview showed, checked again from the file itself."""
    form = SaveUploadForm()
    data = confirmed_upload(form, imports.SALT)
    if data is None:
        flash(_("That preview has expired or is not valid: upload the file again."), "error")
        return redirect(url_for("admin.import_people"))
    plan = imports.plan_import(data)
    with saving(form) as saved:
        created = imports.apply_import(plan, current_user._get_current_object())
    if saved:
        flash(
            ngettext(
                "%(num)d account created; each gets an email with a link to choose a password.",
                "%(num)d accounts created; each gets an email with a link to choose a password.",
                created,
            ),
            "success",
        )
        return redirect(url_for("admin.users"))
    # Something changed since the preview (the file is the same): show what is wrong now.
    return _import_preview(plan, None), saved.status


def _import_preview(plan: imports.StaffPlan, token: str | None):
    return render_template(
        "admin/import_preview.html",
        plan=plan,
        problems=plan.problems[:PREVIEW_LIMIT],
        rows=plan.rows[:PREVIEW_LIMIT],
        form=UploadForm(formdata=None),
        save_form=save_form_for(token),
    )


# The area's other pages: imported for their routes (they import ``bp`` from here).
from app.admin import embed_views, token_views  # noqa: E402, F401
