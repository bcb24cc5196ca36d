from __future__ import annotations

from wtforms import BooleanField, SearchField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from app.forms import (
    BaseForm,
    MultiCheckboxField,
    email_field,
    optional_int,
    strip,
    timezone_field,
)
from app.i18n import lazy_gettext as _l


class UserForm(BaseForm):
    name = StringField(_l("Name"), filters=[strip], validators=[DataRequired(), Length(max=120)])
    email = email_field()
    timezone = timezone_field()
    is_facilitator = BooleanField(_l("Facilitator (may run circles)"))
    is_admin = BooleanField(_l("Administrator"))
    home_branch = SelectField(
        _l("Home branch"),
        coerce=optional_int,
        description=_l("Where the person works: that branch's managers see their progress."),
    )
    managed_branches = MultiCheckboxField(_l("Branch manager of"), coerce=int)
    active = BooleanField(_l("Active (may sign in)"), default=True)


class UserSearchForm(BaseForm):
    class Meta:
        csrf = False

    q = SearchField(
        _l("Search by name or email"), filters=[strip], validators=[Optional(), Length(max=100)]
    )
