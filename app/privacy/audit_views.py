"""The administrators' log of who saw or exported personal data (app/privacy/audit.py)."""

from __future__ import annotations

from flask import current_app, render_template, request
from wtforms import SearchField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from app.edges import page_arg
from app.forms import BaseForm, strip
from app.i18n import lazy_gettext as _l
from app.privacy import audit
from app.privacy.export_views import admin_or_403, bp
from app.querying import paginate


class LogFilterForm(BaseForm):
    class Meta:
        csrf = False

    who = SearchField(
        _l("Person (name or email)"), filters=[strip], validators=[Optional(), Length(max=100)]
    )
    action = SelectField(
        _l("Action"),
        choices=[
            SelectChoice("", _l("Any")),
            *(SelectChoice(value, label) for value, label in audit.ACTIONS.items()),
        ],
        validators=[Optional()],
    )


@bp.get("/admin/personal-data-log")
def log():
    admin_or_403()
    form = LogFilterForm(request.args)
    valid = form.validate()
    who = form.who.data if valid else None
    action = form.action.data if valid else None
    page = paginate(audit.log_query(who, action), page_arg(), current_app.config["PER_PAGE"])
    return render_template(
        "privacy/audit_log.html",
        form=form,
        page=page,
        names=audit.names(page.items),
        actions=audit.ACTIONS,
        what=audit.WHAT,
        filters={"who": who or "", "action": action or ""},
    )
