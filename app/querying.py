"""Query helpers shared by the search pages."""

from __future__ import annotations

import sqlalchemy as sa


def contains(text: str, *columns) -> sa.ColumnElement[bool]:
    """Case-insensitive "any of these columns contains the text"; % and _ match themselves."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = f"%{escaped}%"
    return sa.or_(*(sa.func.lower(column).like(pattern, escape="\\") for column in columns))
