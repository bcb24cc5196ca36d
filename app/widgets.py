"""A select that renders its options cheaply, with the same HTML as WTForms' own.

WTForms builds each ``<option>`` through ``html_params`` (sorting its attributes, escaping
each value twice, formatting Markup); a filter form of forty-odd options spent more time
there than the rest of its page. Options without extra attributes are written directly, in
the order ``html_params`` writes them (``selected`` before ``value``), and the ``<select>``
itself with an html_params that does not format Markup; options with extra attributes and
grouped options still go through WTForms.
"""

from __future__ import annotations

from flask_babel.speaklater import LazyString
from markupsafe import Markup, escape
from wtforms.fields.core import Label
from wtforms.widgets import Select
from wtforms.widgets.core import clean_key


def html_params(**kwargs) -> str:
    """WTForms' html_params, written without Markup.format (a Python-level formatter that
    escaped each name and value once more): the same attributes, sorted by name, ``True``
    alone, ``False`` left out, values escaped with ``"`` as ``&quot;``."""
    params = []
    for key, value in sorted(kwargs.items()):
        name = clean_key(key)
        if value is True:
            params.append(name)
        elif value is not False:
            quoted = str(escape(value)).replace('"', "&quot;")
            params.append(f'{escape(name)}="{quoted}"')
    return " ".join(params)


class FastSelect(Select):
    def __call__(self, field, **kwargs) -> Markup:
        if field.has_groups():  # optgroups: WTForms' own way
            return super().__call__(field, **kwargs)
        kwargs.setdefault("id", field.id)
        if self.multiple:
            kwargs["multiple"] = True
        flags = getattr(field, "flags", {})
        for k in dir(flags):
            if k in self.validation_attrs and k not in kwargs:
                kwargs[k] = getattr(flags, k)
        html = [f"<select {html_params(name=field.name, **kwargs)}>"]
        html.extend(self.render_option(choice) for choice in field._iter_choices_normalized())
        html.append("</select>")
        return Markup("".join(html))  # noqa: S704  (every part escaped as WTForms does)

    @classmethod
    def render_option(cls, choice, **kwargs) -> Markup:
        value, label = choice.value, choice.label
        if kwargs or choice.render_kw or isinstance(value, bool):
            return super().render_option(choice, **kwargs)
        if isinstance(label, LazyString):  # translated once, not once per test and escape
            label = str(label)
        selected = "selected " if choice.selected else ""
        quoted = str(escape(value)).replace('"', "&quot;")  # as html_params writes it
        # Both parts are escaped just above, as html_params escapes them.
        return Markup(f'<option {selected}value="{quoted}">{escape(label or value)}</option>')  # noqa: S704


class FastLabel(Label):
    """WTForms' <label>, its attributes written by html_params above."""

    def __call__(self, text=None, **kwargs) -> Markup:
        if "for_" in kwargs:
            kwargs["for"] = kwargs.pop("for_")
        else:
            kwargs.setdefault("for", self.field_id)
        attributes = html_params(**kwargs)
        attributes = f" {attributes}" if attributes else ""
        return Markup(f"<label{attributes}>{escape(text or self.text)}</label>")  # noqa: S704


SELECT = FastSelect()
SELECT_MULTIPLE = FastSelect(multiple=True)


def faster_label(label: Label) -> Label:
    """The cheap twin of a field's WTForms label."""
    return FastLabel(label.field_id, label.text) if type(label) is Label else label


def faster(widget):
    """The cheap twin of WTForms' own select widget; any other widget as it is."""
    if type(widget) is Select:
        return SELECT_MULTIPLE if widget.multiple else SELECT
    return widget
