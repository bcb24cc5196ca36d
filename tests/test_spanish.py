"""Spanish, completely (issue 16): the catalogue has every message the code and templates
mark, each translated (not fuzzy, the same placeholders and markup, both plural forms); a
reader whose language is Spanish gets pages, form errors, refusals and emails in Spanish; and
no English words are left unmarked in a template, a refusal or a flash."""

from __future__ import annotations

import ast
import datetime as dt
import os
import re
import tempfile
from html.parser import HTMLParser
from pathlib import Path

import pytest
import sqlalchemy as sa
from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask_babel import force_locale, format_date
from icalendar import Calendar
from jinja2 import Environment

from app.calendar import services as calendar_services
from app.extensions import db
from app.models import FeedScope, OutboxMessage, User
from app.reports.tables import display
from tests.conftest import login

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "translations" / "es" / "LC_MESSAGES" / "messages.po"
MO = PO.with_suffix(".mo")

# printf-style placeholders (%(name)s, %d, %%) and str.format ones ({name}).
PLACEHOLDER = re.compile(r"%(?:\(\w+\))?[-#0 +]*\d*(?:\.\d+)?[sdifr%]|\{\w*\}")
TAG = re.compile(r"</?[A-Za-z][^>]*>")


@pytest.fixture(scope="module", autouse=True)
def _compiled() -> None:
    """`make test` compiles the catalogue first; a bare pytest run after editing the .po
    gets it compiled here too (written aside, then swapped in, for parallel workers)."""
    if MO.exists() and MO.stat().st_mtime >= PO.stat().st_mtime:
        return
    with PO.open("rb") as source:
        catalogue = read_po(source, locale="es")
    fd, tmp = tempfile.mkstemp(dir=MO.parent, suffix=".mo")
    with os.fdopen(fd, "wb") as target:
        write_mo(target, catalogue)
    os.replace(tmp, MO)


def _catalogue():
    with PO.open("rb") as source:
        return read_po(source, locale="es")


def _entries():
    return [m for m in _catalogue() if m.id]


def _forms(message) -> list[tuple[str, str]]:
    """(English, Spanish) pairs: the singular with the first form, the plural with the second."""
    if isinstance(message.id, str):
        return [(message.id, message.string)]
    return list(zip(message.id, message.string, strict=False))


# --- the catalogue -----------------------------------------------------------------------------


def test_the_catalogue_has_every_message_marked_in_the_code_and_templates(tmp_path):
    pot = tmp_path / "messages.pot"
    # What `make messages` runs, through Babel's own command line (babel.cfg's paths are
    # relative to the project).
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        CommandLineInterface().run(
            ["pybabel", "-q", "extract", "-F", "babel.cfg", "-k", "_l", "-o", str(pot), "."]
        )
    finally:
        os.chdir(cwd)
    with pot.open("rb") as source:
        extracted = {m.id for m in read_po(source) if m.id}
    assert len(extracted) > 1500  # the extraction found the app's strings
    translated = {m.id for m in _entries()}
    missing = sorted(str(m) for m in extracted - translated)
    assert missing == [], (
        f"{len(missing)} messages are not in {PO.relative_to(ROOT)}: run `make messages`, then "
        "`pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching` "
        f"and translate them. The first: {missing[:5]}"
    )


def test_every_entry_is_translated_and_none_is_fuzzy():
    catalogue = _catalogue()
    assert not catalogue.fuzzy  # the header
    entries = _entries()
    fuzzy = [m.id for m in entries if m.fuzzy]
    untranslated = [m.id for m in entries if not all(s.strip() for _e, s in _forms(m))]
    assert fuzzy == []
    assert untranslated == []


def test_placeholders_and_markup_are_the_same_in_spanish():
    wrong = []
    for message in _entries():
        for english, spanish in _forms(message):
            same_placeholders = sorted(PLACEHOLDER.findall(english)) == sorted(
                PLACEHOLDER.findall(spanish)
            )
            same_tags = sorted(TAG.findall(english)) == sorted(TAG.findall(spanish))
            if not (same_placeholders and same_tags):
                wrong.append((english, spanish))
    assert wrong == []


def test_plurals_have_the_spanish_forms_filled():
    catalogue = _catalogue()
    assert (catalogue.num_plurals, catalogue.plural_expr) == (2, "(n != 1)")
    plurals = [m for m in _entries() if m.pluralizable]
    assert len(plurals) > 50
    assert [m.id for m in plurals if len(m.string) != 2 or not all(m.string)] == []


def test_the_placeholder_check_can_fail():
    """The checks above compare like this: a lost or renamed placeholder is caught."""
    assert sorted(PLACEHOLDER.findall("%(num)d of %(total)d")) != sorted(
        PLACEHOLDER.findall("%(num)d de %(totl)d")
    )
    assert PLACEHOLDER.findall("{name} 100%%") == ["{name}", "%%"]


# --- a Spanish reader --------------------------------------------------------------------------


def _speaks_spanish(app, user_id: int) -> None:
    with app.app_context():
        db.session.get(User, user_id).locale = "es"
        db.session.commit()


def test_a_spanish_reader_gets_the_pages_in_spanish(client, world, app):
    login(client, "pat@example.org")
    page = client.get("/courses/").text
    assert '<html lang="en">' in page
    assert "Free course catalogue" in page

    _speaks_spanish(app, world.participant)
    page = client.get("/courses/").text
    assert '<html lang="es">' in page
    assert "Catálogo de cursos gratuitos" in page
    assert "Free course catalogue" not in page
    assert "Cerrar sesión" in page  # the navigation too
    assert "2 cursos" in page  # a plural: the world has two courses
    assert "Sign out" not in page


def test_a_visitor_whose_browser_asks_for_spanish_gets_spanish(client, world):
    page = client.get("/", headers={"Accept-Language": "es-US,es;q=0.9,en;q=0.5"}).text
    assert '<html lang="es">' in page
    assert "Saltar al contenido principal" in page
    page = client.get("/", headers={"Accept-Language": "en-US,en;q=0.9"}).text
    assert "Skip to main content" in page


def test_form_errors_are_in_spanish(client, world, app):
    _speaks_spanish(app, world.participant)
    login(client, "pat@example.org")
    page = client.post(
        "/account", data={"name": "", "timezone": "Mars/Olympus", "locale": "es"}
    ).text
    assert "Este campo es obligatorio." in page  # WTForms' own message, in Spanish
    assert "Elija una zona horaria de la lista." in page  # one of the app's
    assert "Corrija los campos marcados abajo." in page


def test_a_refusal_is_in_spanish(client, world, app):
    circle_id = world.circle()
    _speaks_spanish(app, world.lead)
    login(client, "lead@example.org")
    response = client.post(f"/circles/{circle_id}/join", follow_redirects=True)
    assert "Usted facilita este círculo, así que no necesita un lugar en él." in response.text
    assert "You facilitate this circle" not in response.text


def test_an_email_goes_out_in_the_readers_language(client, world, app, query):
    circle_id = world.circle(title="Grant writing circle")
    _speaks_spanish(app, world.participant)
    login(client, "pat@example.org")
    client.post(f"/circles/{circle_id}/join")
    client.post("/logout")
    login(client, "co@example.org")  # Cole reads English
    client.post(f"/circles/{circle_id}/join")

    mail = query(
        lambda: {m.to: (m.subject, m.body) for m in db.session.scalars(sa.select(OutboxMessage))}
    )
    subject, body = mail["pat@example.org"]
    assert subject == "Está inscrito en “Grant writing circle”"
    assert "Usted está inscrito en “Grant writing circle”." in body
    assert "Página del círculo:" in body
    assert "You are in" not in body
    subject, body = mail["co@example.org"]
    assert subject == "You are in “Grant writing circle”"


# --- nothing left unmarked ---------------------------------------------------------------------

# Words in templates that are not English to translate: product and format names.
NOT_LANGUAGE = {
    "Google Calendar",
    "Apple Calendar",
    "Outlook",
    "Thunderbird",
    "CSV",
    "iCal",
    "Atom",
}
WORD = re.compile(r"[A-Za-z][A-Za-z'’]+")
# Words in a string literal inside Jinja that read as English ("Seats left"), not a date
# pattern ("EEE d MMM y") or a name.
PHRASE = re.compile(r"\b[A-Z]?[a-z]{2,} [a-z]{2,}\b")
# Elements whose text nobody reads: code, and an Atom feed's identifiers and timestamps.
UNREAD_ELEMENTS = {"script", "style", "id", "updated"}
SHOWN_ATTRIBUTES = {"aria-label", "aria-description", "placeholder", "title", "alt", "label"}
GETTEXT = {"_", "gettext", "ngettext", "pgettext", "npgettext"}
_JINJA = Environment(extensions=["jinja2.ext.i18n"], autoescape=True)  # only lexed
_TAG = "\ue000"  # stands for a Jinja tag, expression or comment


class _ShownText(HTMLParser):
    """The text a reader sees or hears: element text and the attributes read out."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.shown: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in UNREAD_ELEMENTS:
            self._hidden += 1
        values = dict(attrs)
        for name, value in attrs:
            shown = name in SHOWN_ATTRIBUTES or (
                tag == "input" and name == "value" and values.get("type") in ("submit", "button")
            )
            if shown and value:
                self.shown.append(value)

    def handle_endtag(self, tag):
        if tag in UNREAD_ELEMENTS:
            self._hidden = max(0, self._hidden - 1)

    def handle_data(self, data):
        if not self._hidden:
            self.shown.append(data)


def unmarked_words(source: str, html: bool = True) -> list[str]:
    """Runs of English outside Jinja (which is where _() is): each tag, expression and
    comment becomes a marker, so only the template's own text is left to read; and string
    literals inside Jinja that are not an argument of _()/ngettext()."""
    tokens = list(_JINJA.lex(source))
    text, found = [], []
    calls: list[bool] = []  # for each open parenthesis: is it a gettext call?
    previous = None
    for _line, kind, value in tokens:
        if kind == "data":
            text.append(value)
        elif not text or text[-1] != _TAG:
            text.append(_TAG)
        if kind == "operator" and value == "(":
            calls.append(previous is not None and previous[0] == "name" and previous[1] in GETTEXT)
        elif kind == "operator" and value == ")" and calls:
            calls.pop()
        elif kind == "string" and not any(calls) and PHRASE.search(value):
            found.append(value[1:-1])
        if kind not in ("whitespace", "data"):
            previous = (kind, value)
    if html:
        parser = _ShownText()
        parser.feed("".join(text))
        parser.close()
        chunks = parser.shown
    else:
        chunks = ["".join(text)]
    for chunk in chunks:
        for piece in chunk.split(_TAG):
            piece = piece.strip()
            if piece in NOT_LANGUAGE:
                continue
            if WORD.search(piece):
                found.append(piece)
    return found


def test_the_template_check_finds_unmarked_words():
    assert unmarked_words("<h1>{{ _('Courses') }}</h1>") == []
    assert unmarked_words("<h1>Courses</h1>") == ["Courses"]
    assert unmarked_words('<a aria-label="Close" href="{{ url }}">×</a>') == ["Close"]
    assert unmarked_words("<input placeholder=\"{{ _('name') }}\">") == []
    assert unmarked_words("<p>{{ n }} seats left</p>") == ["seats left"]
    assert unmarked_words("<p>{{ macro(heading='Seats left today') }}</p>") == ["Seats left today"]
    assert unmarked_words("<p>{{ _('Hello %(name)s', name=user.name) }}</p>") == []
    assert unmarked_words("<a href='{{ url }}'>Google Calendar</a><script>let x;</script>") == []
    assert unmarked_words("Hello {{ name }},\n", html=False) == ["Hello"]


def test_no_template_shows_unmarked_english():
    found = {}
    for path in sorted((ROOT / "templates").rglob("*")):
        if path.suffix in (".html", ".xml", ".txt"):  # pages, feeds, emails
            words = unmarked_words(path.read_text(), html=path.suffix != ".txt")
            if words:
                found[str(path.relative_to(ROOT))] = words
    assert found == {}, "wrap these in {{ _('...') }} (or add a brand name to NOT_LANGUAGE)"


_SHOWN_CALLS = {"RuleViolation", "unique_or_violation", "flash", "ValidationError"}
_GETTEXT_PY = {"_", "_l", "gettext", "ngettext", "lazy_gettext", "lazy_ngettext"}


def _literals(node: ast.AST):
    """String constants in an expression, except those handed to gettext."""
    if isinstance(node, ast.Call):
        name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
        if name in _GETTEXT_PY:
            return
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node.value
        return
    for child in ast.iter_child_nodes(node):
        yield from _literals(child)


def unmarked_messages(source: str) -> list[str]:
    """English in the message of a refusal (RuleViolation), a flash or a form error that
    does not go through gettext."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
        if name in _SHOWN_CALLS:
            found += [s for s in _literals(node.args[0]) if WORD.search(s)]
    return found


def looked_up_words(source: str) -> list[str]:
    """gettext of a variable ("_(circle.status)"): extraction cannot see what it looks up,
    so the catalogue never has it and Spanish readers get the English code."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and node.args:
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            first = node.args[0]
            literal = isinstance(first, ast.Constant) and isinstance(first.value, str)
            if name in _GETTEXT_PY and not literal:
                found.append(ast.unparse(node))
    return found


def hidden_in_fstrings(source: str) -> list[str]:
    """gettext inside an f-string: Babel's extraction does not look in there (before Python
    3.12 an f-string is one token), so the message never reaches the catalogue."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.JoinedStr):
            for inner in ast.walk(node):
                name = getattr(getattr(inner, "func", None), "id", None)
                if isinstance(inner, ast.Call) and name in _GETTEXT_PY:
                    found.append(ast.unparse(inner))
    return found


def test_no_message_hides_in_an_fstring():
    assert hidden_in_fstrings("flash(f\"{n} {_('left')}\")") == ["_('left')"]
    assert hidden_in_fstrings("left = _('left')\nflash(f'{n} {left}')") == []
    found = {}
    for path in sorted((ROOT / "app").rglob("*.py")):
        calls = hidden_in_fstrings(path.read_text())
        if calls:
            found[str(path.relative_to(ROOT))] = calls
    assert found == {}


def test_no_message_is_looked_up_from_a_variable():
    assert looked_up_words("_(circle.status)") == ["_(circle.status)"]
    assert looked_up_words("_('Draft')") == []
    found = {}
    for path in sorted((ROOT / "app").rglob("*.py")):
        calls = looked_up_words(path.read_text())
        if calls:
            found[str(path.relative_to(ROOT))] = calls
    for path in sorted((ROOT / "templates").rglob("*")):
        if path.suffix in (".html", ".xml", ".txt"):
            text = path.read_text()
            calls = re.findall(r"\b(?:_|gettext|ngettext)\(\s*[A-Za-z_][\w.]*\s*[,)]", text)
            # An installation's own name (SITE_NAME) is its catalogue's business, if any.
            calls = [c for c in calls if "config." not in c]
            if calls:
                found[str(path.relative_to(ROOT))] = calls
    assert found == {}


def test_the_code_check_finds_unmarked_messages():
    assert unmarked_messages("raise RuleViolation(_('Choose a room.'), 'room')") == []
    assert unmarked_messages("raise RuleViolation('Choose a room.')") == ["Choose a room."]
    assert unmarked_messages("flash(f'{said} {missing}')") == []
    assert unmarked_messages("flash(f\"{n} {_('left')} today\")") == [" today"]


def test_no_refusal_or_flash_is_unmarked():
    found = {}
    for path in sorted((ROOT / "app").rglob("*.py")):
        messages = unmarked_messages(path.read_text())
        if messages:
            found[str(path.relative_to(ROOT))] = messages
    assert found == {}


def test_numbers_and_dollars_are_written_the_us_way_in_spanish(app):
    """Spanish readers here are in US libraries: $2,500.00 and 87.3%, as in English, not
    Spain's 2.500,00 US$ and 87,3 %."""
    with app.test_request_context(), force_locale("es"):
        assert display(250_000, "money") == "$2,500.00"
        assert display(0.873, "rate") == "87.3%"
        assert display(12_345, "count") == "12,345"
        assert format_date(dt.date(2027, 3, 2), "full") == "martes, 2 de marzo de 2027"


def test_the_language_switch_on_every_page(client, world, app, query):
    login(client, "pat@example.org")
    page = client.get("/courses/").text
    assert '<html lang="en">' in page
    assert re.search(r'<button type="submit" name="locale" value="es"[^>]*lang="es">Español<', page)
    response = client.post("/language", data={"locale": "es", "next": "/courses/?q=grant"})
    assert (response.status_code, response.headers["Location"]) == (302, "/courses/?q=grant")
    assert query(lambda: db.session.get(User, world.participant).locale) == "es"  # emails too
    page = client.get("/courses/").text
    assert '<html lang="es">' in page
    assert "Catálogo de cursos gratuitos" in page
    assert re.search(r'value="en"[^>]*lang="en">English<', page)  # the way back

    # Not a language of the app, or a link elsewhere: nothing changes, home it is.
    response = client.post("/language", data={"locale": "fr", "next": "//elsewhere.example/"})
    assert response.headers["Location"] == "/"
    assert query(lambda: db.session.get(User, world.participant).locale) == "es"


def _descriptions(response) -> set[str]:
    assert response.status_code == 200
    calendar = Calendar.from_ical(response.data)
    return {str(event["DESCRIPTION"]).split("\n")[0] for event in calendar.walk("VEVENT")}


def test_feeds_speak_their_readers_language(client, world, app):
    circle_id = world.circle(audience="public", title="Grant writing circle")
    course = "Grant Writing Basics (NNLM)"
    spanish = {"Accept-Language": "es"}
    # A circle's public feed: the reader's language, each cached apart.
    assert _descriptions(client.get(f"/circles/{circle_id}/calendar.ics", headers=spanish)) == {
        f"Curso: {course}"
    }
    assert _descriptions(client.get(f"/circles/{circle_id}/calendar.ics")) == {f"Course: {course}"}

    # A personal feed is read by a calendar app that says nothing of its owner: hers.
    _speaks_spanish(app, world.participant)
    login(client, "pat@example.org")
    client.post(f"/circles/{circle_id}/join")
    client.post("/logout")
    with app.app_context():
        pat = db.session.get(User, world.participant)
        token = calendar_services.issue_token(pat, FeedScope.personal, None)
        db.session.commit()
    response = client.get(f"/feeds/{token}.ics", headers={"Accept-Language": "en"})
    assert _descriptions(response) == {f"Curso: {course}"}
    assert Calendar.from_ical(response.data)["X-WR-CALNAME"] == "Mis círculos de aprendizaje"


def test_asked_to_sign_in_in_spanish(client, world):
    spanish = {"Accept-Language": "es"}
    response = client.get("/my/circles", headers=spanish)
    assert response.status_code == 302
    page = client.get(response.headers["Location"], headers=spanish).text
    assert "Inicie sesión para ver esta página." in page


def test_a_course_title_is_marked_with_its_own_language(client, world, app):
    login(client, "pat@example.org")
    assert "<h1>Grant Writing Basics</h1>" in client.get(f"/courses/{world.course}").text
    assert '<h1 lang="es">Informática básica</h1>' in client.get(f"/courses/{world.spanish}").text
    _speaks_spanish(app, world.participant)
    assert '<h1 lang="en">Grant Writing Basics</h1>' in client.get(f"/courses/{world.course}").text
    assert "<h1>Informática básica</h1>" in client.get(f"/courses/{world.spanish}").text
    circle = client.get(f"/circles/{world.circle()}").text
    assert re.search(r'rel="noopener noreferrer" lang="en">Grant Writing Basics</a>', circle)


def test_the_workload_names_its_months_in_the_readers_language(client, world, app):
    world.circle()
    login(client, "lead@example.org")
    months = re.findall(r'<th scope="col">([^<]+)</th>', client.get("/facilitate/").text)
    assert len(months) == 6
    assert all(re.fullmatch(r"[A-Z][a-z]{2} \d{4}", m) for m in months), months
    _speaks_spanish(app, world.lead)
    months = re.findall(r'<th scope="col">([^<]+)</th>', client.get("/facilitate/").text)
    spanish = {"ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sept", "oct", "nov", "dic"}
    assert len(months) == 6
    assert all(m.split()[0] in spanish for m in months), months
