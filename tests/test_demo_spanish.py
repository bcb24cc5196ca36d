"""The demo in Spanish (issue 16): every word the code puts on the demo's pages (skill areas,
career stages, formats, room features, statuses, outcome kinds, weekdays, ...) is Spanish for a
Spanish reader, a visitor's and a signed-in member's pages alike; what staff wrote (course
titles, room names) stays as written; and a Spanish reader finds a circle held in Spanish."""

from __future__ import annotations

import enum
import re
from html.parser import HTMLParser
from pathlib import Path

import sqlalchemy as sa
from babel.messages.pofile import read_po

from app import models
from app.demo import DEMO_PASSWORD
from app.extensions import db
from app.labels import ALL_LABELS, COURSE_LANGUAGES, STATUS_WORDS, WEEKDAY_NAMES
from app.models import Branch, Circle, Closure, Course, Credential, Pathway, Room, User
from app.rooms.forms import FEATURE_LABELS
from tests.conftest import login

PO = Path(__file__).resolve().parent.parent / "translations" / "es" / "LC_MESSAGES" / "messages.po"
SPANISH_CIRCLE = "Informática básica en español"
# Where a page puts several labels in one line: "Coursera · Liderazgo · Personal nuevo".
SEPARATORS = re.compile(r" · |, |: | — | \(|\)")


class _Words(HTMLParser):
    """The words a reader meets: text, and the labels read aloud or shown on hover."""

    def __init__(self) -> None:
        super().__init__()
        self.words: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        self._hidden += tag in ("script", "style")
        self.words += [v for k, v in attrs if k in ("aria-label", "title", "alt") and v]

    def handle_endtag(self, tag):
        self._hidden -= tag in ("script", "style")

    def handle_data(self, data):
        if not self._hidden and data.strip():
            self.words.append(" ".join(data.split()))


def _pieces(html: str) -> set[str]:
    parser = _Words()
    parser.feed(html)
    pieces = set()
    for text in parser.words:
        pieces.add(text)
        pieces.update(p.strip() for p in SEPARATORS.split(text) if p.strip())
    return pieces


def _is_code(kind) -> bool:
    return isinstance(kind, type) and issubclass(kind, enum.StrEnum) and kind is not enum.StrEnum


def _code_labels() -> set[str]:
    """The English of every label the code defines for a code (not the languages' own names,
    each written in itself), and of every short message the catalogue translates otherwise."""
    dicts = [d for d in ALL_LABELS.values() if d is not COURSE_LANGUAGES]
    dicts += [STATUS_WORDS, FEATURE_LABELS, dict(enumerate(WEEKDAY_NAMES))]
    labels = {str(label) for d in dicts for label in d.values()}
    # A code shown as it is stored ("in_person", "hearing_loop") is no better.
    labels |= {code.value for enum in vars(models).values() if _is_code(enum) for code in enum}
    with PO.open("rb") as source:
        catalogue = read_po(source, locale="es")
    for message in catalogue:
        english, spanish = message.id, message.string
        short = isinstance(english, str) and 0 < len(english.split()) <= 3 and english[0].isupper()
        if short and spanish and spanish != english and "%" not in english:
            labels.add(english)
    return labels


def _demo_pages(query) -> list[str]:
    ids = query(
        lambda: {
            "circle": list(db.session.scalars(sa.select(Circle.id).order_by(Circle.id))),
            "branch": list(db.session.scalars(sa.select(Branch.id).order_by(Branch.id))),
            "pathway": list(db.session.scalars(sa.select(Pathway.id).order_by(Pathway.id))),
        }
    )
    pages = ["/", "/courses/", "/circles/", "/branches/", "/pathways/", "/rooms/free"]
    pages += ["/credentials/", "/reports/", "/demand", "/my/circles", "/facilitate/"]
    pages += ["/digest/subscribe", "/embed/circles", "/join/lost-link", "/account"]
    pages += ["/circles/new", "/demand/interest", "/calendar/", "/me/record", "/my/attendance"]
    pages += ["/pathways/self-paced", "/bookings/mine", "/pathways/new", "/branches/new"]
    for circle in ids["circle"]:
        pages += [f"/circles/{circle}", f"/circles/{circle}/join", f"/circles/{circle}/roster"]
        pages += [f"/circles/{circle}/outcomes", f"/circles/{circle}/evaluation"]
    pages += [f"/branches/{b}" for b in ids["branch"]]
    pages += [f"/branches/{b}/calendar" for b in ids["branch"]]
    pages += [f"/pathways/{p}" for p in ids["pathway"]]
    pages += [f"/pathways/{p}/progress" for p in ids["pathway"]]
    spanish = sa.select(Circle.course_id).filter_by(title=SPANISH_CIRCLE)
    course = query(lambda: db.session.scalar(spanish))
    return [*pages, f"/courses/{course}"]


def _staff_words(query) -> set[str]:
    """Whatever staff (here: the demo) wrote, in each of its pieces: a course called
    "Health Literacy & Public Health: Introduction" keeps its "Introduction"."""

    def read():
        words = set()
        for model in (Course, Circle, Pathway, Branch, Room, Closure, Credential, User):
            texts = [c for c in model.__table__.columns if isinstance(c.type, sa.String)]
            for row in db.session.execute(sa.select(*texts)):
                for text in filter(None, row):
                    words.add(text)
                    words.update(p.strip() for p in SEPARATORS.split(text))
        return words

    return query(read)


def _labels_on(client, pages: list[str], labels: set[str], least: int) -> dict[str, set[str]]:
    """Which of ``labels`` each page shows (pages the client may not see are left out; at
    least ``least`` are seen, so that the walk really walked)."""
    found = {}
    shown = 0
    for path in pages:
        response = client.get(path)
        if response.status_code != 200:
            continue  # a staff page for a visitor
        shown += 1
        english = _pieces(response.text) & labels
        if english:
            found[path] = english
    assert shown >= least, shown
    return found


def test_no_label_of_the_code_is_english_on_the_spanish_demo(app, demo, query):
    labels = _code_labels() - _staff_words(query)
    assert {"Management", "New staff", "In person", "Projector", "Monday", "Grant won"} <= labels
    pages = _demo_pages(query)
    with app.app_context():
        admin = sa.update(User).where(User.email == "admin@example.org").values(locale="es")
        db.session.execute(admin)
        db.session.commit()
    visitor = app.test_client()
    visitor.environ_base["HTTP_ACCEPT_LANGUAGE"] = "es"
    assert _labels_on(visitor, pages, labels, least=5) == {}
    assert '<html lang="es">' in visitor.get("/").text
    admin = app.test_client()
    login(admin, "admin@example.org", DEMO_PASSWORD)
    assert _labels_on(admin, pages, labels, least=30) == {}
    assert '<html lang="es">' in admin.get("/").text
    account = admin.get("/account").text  # the zones' cities, as Spanish writes them
    assert ">Ciudad de México (hora central)</option>" in account
    assert "Mexico City" not in account
    # The control: the same walk in English finds them (the test can see them).
    english = app.test_client()
    login(english, "manager@example.org", DEMO_PASSWORD)
    seen = set().union(*_labels_on(english, pages, labels, least=30).values())
    assert {"Management", "New staff", "In person", "Projector", "Monday"} <= seen


def test_a_spanish_reader_finds_a_circle_held_in_spanish(app, demo, query):
    visitor = app.test_client()
    visitor.environ_base["HTTP_ACCEPT_LANGUAGE"] = "es"
    listing = visitor.get("/circles/?language=es").text
    assert SPANISH_CIRCLE in listing

    def read():
        circle = db.session.scalars(sa.select(Circle).filter_by(title=SPANISH_CIRCLE)).one()
        return (
            circle.id,
            circle.is_public,
            circle.course.language,
            circle.course.url,
            circle.description,
            circle.welcome_message,
        )

    circle_id, public, language, url, description, welcome = query(read)
    assert public
    assert language == "es"
    assert url.startswith("https://edu.gcfglobal.org/es/")
    page = visitor.get(f"/circles/{circle_id}").text
    assert "computadora" in description  # written in Spanish, for Spanish speakers
    assert description.split(".")[0] in page
    assert "Bienvenid" in welcome
