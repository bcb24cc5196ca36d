"""The two yardsticks bench/http.py serves exactly like the app (``gunicorn -c gunicorn.conf.py
-w 4``, same machine, same run), so that the app's figures are read as ratios, not as numbers
that depend on the machine and whatever else it is doing:

``hello``
    A bare Flask app that answers "Hello, world!": the most a Flask worker can serve.
``floor``
    The least a real page does: select 20 courses with SQLAlchemy (ORM, from ``DATABASE_URL``,
    the same database as the app) and render them in a Jinja table.
"""

from __future__ import annotations

import os

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import Flask, render_template
from jinja2 import DictLoader

hello = Flask("hello")


@hello.get("/")
def say_hello() -> str:
    return "Hello, world!"


class Base(so.DeclarativeBase):
    pass


class Course(Base):
    __tablename__ = "course"
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    title: so.Mapped[str]
    provider: so.Mapped[str]
    skill_area: so.Mapped[str]


floor = Flask("floor")
floor.jinja_env.loader = DictLoader(
    {
        "courses.html": """<!doctype html><html lang="en"><title>Courses</title><h1>Courses</h1>
<table><thead><tr><th>Title</th><th>Provider</th><th>Skill area</th></tr></thead><tbody>
{% for c in courses %}<tr><td><a href="/courses/{{ c.id }}">{{ c.title }}</a></td>
<td>{{ c.provider }}</td><td>{{ c.skill_area }}</td></tr>{% endfor %}</tbody></table></html>"""
    }
)
# Connects lazily: each gunicorn worker opens its own connections after it has started.
engine = sa.create_engine(os.environ.get("DATABASE_URL", "sqlite://"), pool_pre_ping=True)


@floor.get("/")
def courses() -> str:
    with so.Session(engine) as session:
        rows = session.scalars(sa.select(Course).order_by(Course.id).limit(20)).all()
        return render_template("courses.html", courses=rows)
