"""Query helpers shared by the list and search pages."""

from __future__ import annotations

import sqlalchemy as sa
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy.orm.interfaces import ORMOption

from app.extensions import db
from app.text import fold


def contains(text: str, *columns) -> sa.ColumnElement[bool]:
    """Whether any of these search columns (``Searchable.search_text``) contains the text,
    without regard to case or accents: the text is folded as the columns are. % and _ match
    themselves."""
    escaped = fold(text).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = f"%{escaped}%"
    return sa.or_(*(column.like(pattern, escape="\\") for column in columns))


class _Page(Pagination):
    """Flask-SQLAlchemy's page of an ordered select of one entity, in two narrow steps: the
    page's ids and the total (``count(*) OVER ()``) from one query that sorts ids alone, not
    whole rows, then those rows by id with ``load`` (loader options). A page past the end has
    no row to carry the total: it is counted apart."""

    def _query_items(self) -> list:
        select, session = self._query_args["select"], self._query_args["session"]
        entity = select.column_descriptions[0]["entity"]
        narrow = select.with_only_columns(entity.id, sa.func.count().over())
        rows = session.execute(narrow.limit(self.per_page).offset(self._query_offset)).all()
        self._total = rows[0][1] if rows else None
        ids = [row[0] for row in rows]
        if not ids:
            return []
        chosen = sa.select(entity).where(entity.id.in_(ids)).options(*self._query_args["load"])
        found = {item.id: item for item in session.scalars(chosen).unique()}
        return [found[i] for i in ids]

    def _query_count(self) -> int:
        if self._total is not None:
            return self._total
        select = self._query_args["select"].order_by(None).subquery()
        return self._query_args["session"].scalar(sa.select(sa.func.count()).select_from(select))


def paginate(select: sa.Select, page: int, per_page: int, *load: ORMOption) -> Pagination:
    """One page of ``select`` (ordered, of one entity with an ``id``) and the total: two
    queries (ids and total, then the rows with ``load``). A page past the end is empty, not
    a 404."""
    return _Page(
        select=select,
        session=db.session(),
        load=load,
        page=page,
        per_page=per_page,
        error_out=False,
    )
