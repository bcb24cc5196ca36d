"""Query helpers shared by the search pages."""

from __future__ import annotations

import sqlalchemy as sa

from app.text import fold


def contains(text: str, *columns) -> sa.ColumnElement[bool]:
    """Whether any of these search columns (``Searchable.search_text``) contains the text,
    without regard to case or accents: the text is folded as the columns are. % and _ match
    themselves."""
    escaped = fold(text).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = f"%{escaped}%"
    return sa.or_(*(column.like(pattern, escape="\\") for column in columns))
