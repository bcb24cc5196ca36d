"""The embeds' forms: the filters of an embedded list (read from the iframe's address, and
chosen on the admin page for its snippet) and the origin an administrator adds."""

from __future__ import annotations

import sqlalchemy as sa
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from app.extensions import db
from app.forms import BaseForm, optional_int, strip
from app.i18n import lazy_gettext as _l
from app.labels import SKILL_AREAS, choices
from app.models import Branch, Course


class EmbedFilterForm(BaseForm):
    """What an embedded list shows: empty means any."""

    class Meta:
        csrf = False

    # Any number is taken (one that names nothing matches no circle): the embed page does not
    # read every branch and course to check, only the admin page lists them.
    branch = SelectField(
        _l("Branch"), coerce=optional_int, validators=[Optional()], validate_choice=False
    )
    skill_area = SelectField(
        _l("Skill area"), choices=choices(SKILL_AREAS, _l("Any")), validators=[Optional()]
    )
    course = SelectField(
        _l("Course"), coerce=optional_int, validators=[Optional()], validate_choice=False
    )

    def with_choices(self) -> EmbedFilterForm:
        """The branches and the courses still offered, as the choices (one query each)."""
        any_ = SelectChoice("", _l("Any"))
        branches = db.session.execute(sa.select(Branch.id, Branch.name).order_by(Branch.name))
        self.branch.choices = [any_] + [SelectChoice(i, name) for i, name in branches]
        courses = db.session.execute(
            sa.select(Course.id, Course.title)
            .where(Course.retired_at.is_(None))
            .order_by(Course.title, Course.id)
        )
        self.course.choices = [any_] + [SelectChoice(i, title) for i, title in courses]
        return self

    def filters(self) -> dict:
        """The chosen filters, by name, without the empty ones."""
        return {name: f.data for name, f in self._fields.items() if f.data not in (None, "")}


class SnippetForm(EmbedFilterForm):
    """The admin page's snippet builder: the list's filters, and one circle for its card."""

    circle = SelectField(
        _l("Circle"), coerce=optional_int, validators=[Optional()], validate_choice=False
    )


class OriginForm(BaseForm):
    origin = StringField(
        _l("Website address"),
        filters=[strip],
        validators=[Length(max=300)],
        description=_l(
            "The address of the library's website that shows the embed, such as "
            "https://library.example (no path)."
        ),
        render_kw={"inputmode": "url", "autocomplete": "url"},
    )
