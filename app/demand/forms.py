"""The interest form (how and when a person would join a circle) and the words for its codes."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import RadioField, SelectField

from app.forms import BaseForm, optional_int
from app.labels import choices
from app.models import InterestFormat, TimeOfDay

FORMATS = {
    InterestFormat.in_person: _l("In person"),
    InterestFormat.virtual: _l("Online, at set times"),
    InterestFormat.on_demand: _l("On demand, at my own pace"),
}

TIMES_OF_DAY = {
    TimeOfDay.morning: _l("Morning"),
    TimeOfDay.afternoon: _l("Afternoon"),
    TimeOfDay.evening: _l("Evening"),
}


class InterestForm(BaseForm):
    format = RadioField(
        _l("How would you join?"), choices=choices(FORMATS), default=InterestFormat.in_person
    )
    time_of_day = RadioField(
        _l("When suits you best?"), choices=choices(TIMES_OF_DAY), default=TimeOfDay.afternoon
    )
    branch_id = SelectField(
        _l("Branch"),
        coerce=optional_int,
        description=_l("Where you would like to meet, if in person; leave empty for any."),
    )
