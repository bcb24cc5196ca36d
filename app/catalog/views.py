"""The catalogue of free online courses."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from app.auth.permissions import (
    admin_required,
    can_create_circle,
    is_staff,
    public,
    sign_in_or_404,
    staff_required,
)
from app.boundary import saving
from app.catalog import imports, services
from app.catalog.forms import CourseFilterForm, CourseForm
from app.circles import listing
from app.csvio import csv_response
from app.edges import page_arg
from app.evaluation import services as evaluation
from app.extensions import db
from app.forms import ConfirmForm
from app.imports import (
    PREVIEW_LIMIT,
    SaveUploadForm,
    UploadForm,
    check_upload,
    confirmed_upload,
    save_form_for,
)
from app.models import Circle, Course
from app.text import hours_text
from app.timeutil import utcnow

bp = Blueprint("catalog", __name__, url_prefix="/courses")


def _course_or_404(course_id: int) -> Course:
    course = db.session.get(Course, course_id)
    if course is None:
        abort(404)
    if course.retired and not is_staff(current_user):
        sign_in_or_404()  # staff still see a retired course: a visitor is asked to sign in
    return course


def _filters() -> tuple[CourseFilterForm, dict]:
    form = CourseFilterForm(request.args)
    form.provider.choices = [SelectChoice("", _("Any"))] + [
        SelectChoice(p, p) for p in services.providers()
    ]
    if not form.validate():
        return form, {}
    values = {name: field.data for name, field in form._fields.items()}
    values["include_retired"] = is_staff(current_user) and request.args.get("retired") == "1"
    return form, values


@bp.get("/")
@public
def index():
    form, values = _filters()
    page = db.paginate(
        services.search_courses(**values),
        page=page_arg(),
        per_page=current_app.config["PER_PAGE"],
        error_out=False,
    )
    # Only the filters go into the page links: any other name (e.g. "endpoint") would
    # reach url_for() and break the page.
    args = {k: v for k, v in request.args.items() if k in form or k == "retired"}
    return render_template(
        "catalog/index.html",
        form=form,
        page=page,
        args=args,
        filtered=bool(
            values
            and any(
                values.get(k)
                for k in (
                    "q",
                    "skill_area",
                    "provider",
                    "language",
                    "format",
                    "career_stage",
                    "credential",
                )
            )
        ),
        can_edit=is_staff(current_user),
    )


@bp.get("/<int:course_id>")
@public
def course(course_id: int):
    item = _course_or_404(course_id)
    now = utcnow()
    # The circles running it that the viewer may see, still to meet, soonest first.
    circles = db.session.scalars(
        listing.list_circles(current_user, now, with_meetings=False).where(
            Circle.course_id == item.id
        )
    ).all()
    return render_template(
        "catalog/course.html",
        course=item,
        circles=circles,
        next_starts=listing.next_starts(circles, now),
        can_edit=is_staff(current_user),
        can_start=can_create_circle(current_user),
        can_retire=current_user.is_authenticated and current_user.is_admin,
        record=evaluation.course_record(item.id, now),
    )


def _values(form: CourseForm) -> dict:
    return {name: getattr(form, name).data for name in services.EDITABLE}


@bp.route("/new", methods=["GET", "POST"])
@staff_required
def new_course():
    form = CourseForm()
    if form.validate_on_submit():
        with saving(form) as saved:
            item = services.save_course(None, _values(form))
        if saved:
            flash(_("Course added to the catalogue."), "success")
            return redirect(url_for("catalog.course", course_id=item.id))
    return render_template("catalog/form.html", form=form, course=None)


@bp.route("/<int:course_id>/edit", methods=["GET", "POST"])
@staff_required
def edit_course(course_id: int):
    item = _course_or_404(course_id)
    form = CourseForm(obj=item)
    if form.validate_on_submit():
        with saving(form) as saved:
            services.save_course(item, _values(form))
        if saved:
            flash(_("Course saved."), "success")
            return redirect(url_for("catalog.course", course_id=item.id))
    return render_template("catalog/form.html", form=form, course=item)


@bp.route("/<int:course_id>/retire", methods=["GET", "POST"])
@admin_required
def retire_course(course_id: int):
    item = _course_or_404(course_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        services.set_retired(item, not item.retired)
        flash(
            _("Course retired.") if item.retired else _("Course back in the catalogue."), "success"
        )
        return redirect(url_for("catalog.course", course_id=item.id))
    if item.retired:
        title, question, action = (
            _("Bring back course"),
            _("Show “%(title)s” in the catalogue again?", title=item.title),
            _("Bring back"),
        )
    else:
        title, question, action = (
            _("Retire course"),
            _(
                "Retire “%(title)s”? It leaves the catalogue and no new circle can use it; "
                "circles that already use it keep their link.",
                title=item.title,
            ),
            _("Retire course"),
        )
    return render_template(
        "confirm.html",
        form=form,
        title=title,
        question=question,
        action=action,
        cancel_url=url_for("catalog.course", course_id=item.id),
    )


@bp.get("/export.csv")
@staff_required
def export_courses():
    courses = db.session.scalars(services.search_courses(include_retired=False))
    return csv_response(services.CSV_HEADER, services.export_rows(courses), "courses.csv")


@bp.get("/import/template.csv")
@staff_required
def import_template():
    """The first row and one example row: a file to fill in."""
    return csv_response(imports.CSV_HEADER, [imports.EXAMPLE_ROW], "courses-template.csv")


@bp.route("/import", methods=["GET", "POST"])
@staff_required
def import_courses():
    """Step 1: upload. A valid upload answers with the preview (step 2), never saving."""
    form = UploadForm()
    if form.validate_on_submit():
        plan, token = check_upload(form.file.data.read(), _plan, imports.SALT)
        return _preview(plan, token)
    return render_template("catalog/import.html", form=form, header=",".join(imports.CSV_HEADER))


@bp.post("/import/save")
@staff_required
def save_import():
    """Step 3: save what the preview showed, checked again from the file itself."""
    form = SaveUploadForm()
    data = confirmed_upload(form, imports.SALT)
    if data is None:
        flash(_("That preview has expired or is not valid: upload the file again."), "error")
        return redirect(url_for("catalog.import_courses"))
    plan = _plan(data)
    with saving(form) as saved:
        added, updated = imports.apply_import(plan)
    if saved:
        flash(
            _("Import done: %(added)d added, %(updated)d updated.", added=added, updated=updated),
            "success",
        )
        return redirect(url_for("catalog.index"))
    # Something changed since the preview (the file is the same): show what is wrong now.
    return _preview(plan, None), saved.status


def _plan(data: bytes) -> imports.ImportPlan:
    return imports.plan_import(data, CourseForm)


def _preview(plan: imports.ImportPlan, token: str | None):
    return render_template(
        "catalog/import_preview.html",
        plan=plan,
        problems=plan.problems[:PREVIEW_LIMIT],
        rows=plan.rows[:PREVIEW_LIMIT],
        hours_text=hours_text,
        form=UploadForm(formdata=None),
        save_form=save_form_for(token),
    )
