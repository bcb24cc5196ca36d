"""Search columns: each searchable row keeps its searched text folded (``app.text.fold``) in
``search_text``, so that "informatica" finds "Informática" the same way on SQLite and
PostgreSQL. The column is kept up to date before every flush; migration 0010 filled it for the
rows that were there before it."""

from __future__ import annotations

from typing import ClassVar

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.text import fold


class Searchable:
    """A model whose ``search_fields`` are found by
    ``app.querying.contains(q, Model.search_text)``."""

    search_fields: ClassVar[tuple[str, ...]]

    # Fields are joined by a line break: a search (one line) never matches across two fields.
    search_text: so.Mapped[str] = so.mapped_column(sa.Text, default="", server_default="")

    def folded_search_text(self) -> str:
        return "\n".join(fold(getattr(self, name)) for name in self.search_fields)


@sa.event.listens_for(so.Session, "before_flush")
def _refresh_search_text(session: so.Session, _context, _instances) -> None:
    for obj in (*session.new, *session.dirty):
        if isinstance(obj, Searchable):
            text = obj.folded_search_text()
            if obj.search_text != text:
                obj.search_text = text
