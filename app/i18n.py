"""Language and time zone of the person looking at the page (Flask-Babel selectors)."""

from __future__ import annotations

import functools

from babel import support
from flask import Flask, Response, current_app, g, has_request_context, request, session
from flask_babel import Domain, _get_current_context, get_locale, get_translations
from flask_babel.speaklater import LazyString
from flask_login import current_user
from wtforms.i18n import messages_path

from app.extensions import babel

# A visitor's choice of language (the switch on every page, not signed in), in the session.
VISITOR_LANGUAGE = "language"


def choose_visitor_language(locale: str) -> None:
    """Keep a visitor's choice for the pages that follow (their signed session cookie)."""
    session[VISITOR_LANGUAGE] = locale


def browser_language() -> str | None:
    """The best of the app's languages for the browser's Accept-Language; a response that
    follows it says so (Vary), so that no shared cache hands it to a reader of another."""
    g.language_from_browser = True
    return request.accept_languages.best_match(list(current_app.config["LANGUAGES"]))


def select_locale() -> str | None:
    """The profile's language for someone signed in, else the one a visitor chose with the
    switch, else the browser's."""
    if not has_request_context():  # CLI commands speak the default language
        return None
    languages = current_app.config["LANGUAGES"]
    if current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    chosen = session.get(VISITOR_LANGUAGE)
    if chosen in languages:
        return chosen
    return browser_language()


# Numbers and dollar amounts for the app's Spanish readers (libraries in the United States) are
# written the US way, $2,500.00 and 87.3%, not Spain's 2.500,00 US$ and 87,3 %; the words,
# dates and times stay those of the language.
_NUMBER_LOCALES = {"es": "es_US"}


def number_locale(language: str | None = None) -> str | None:
    """The Babel locale to write numbers in for ``language`` (default: the request's)."""
    if language is None:
        locale = get_locale()
        language = str(locale) if locale is not None else None
    return _NUMBER_LOCALES.get(language, language) if language else None


def select_timezone() -> str | None:
    if has_request_context() and current_user.is_authenticated:
        return current_user.timezone
    return None


class _RequestDomain(Domain):
    """Flask-Babel's message domain, with the catalogue looked up once per request (a page
    translates a hundred strings or more; each lookup asked the locale again and spelled
    it out). It is kept where Flask-Babel itself expects it, ``babel_translations`` in the
    request's Babel context, which ``refresh()`` and ``force_locale()`` (an email in its
    reader's language) clear whenever the locale changes."""

    def get_translations(self) -> support.NullTranslations:
        ctx = _get_current_context()
        if ctx is None:
            return support.NullTranslations()
        translations = getattr(ctx, "babel_translations", None)
        if translations is None:
            translations = ctx.babel_translations = super().get_translations()
        return translations


def translations() -> support.NullTranslations:
    """The catalogue of the request (or of the force_locale block) in one lookup, once
    _RequestDomain has kept it; Flask-Babel's own path asks the context three times."""
    try:
        found = g._flask_babel.babel_translations
    except (AttributeError, RuntimeError):  # not kept yet, or outside any app context
        found = None
    return found if found is not None else get_translations()


def gettext(string: str, **variables) -> str:
    """Flask-Babel's gettext, through translations()."""
    text = translations().ugettext(string)
    return text % variables if variables else text


def lazy_gettext(string: str, **variables) -> LazyString:
    """Flask-Babel's lazy_gettext, through translations(): for labels read on every page."""
    return LazyString(gettext, string, **variables)


def wtforms_translations() -> support.NullTranslations:
    """WTForms' own messages ("Not a valid choice.") in the request's language. Flask-WTF
    read and parsed the catalogue file again for each request with a form; it is read once
    per language."""
    return _wtforms_catalogue(str(get_locale()))


@functools.cache
def _wtforms_catalogue(locale: str) -> support.NullTranslations:
    return support.Translations.load(messages_path(), [locale], domain="wtforms")


def init_i18n(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    # Babel.domain_instance is a cached property: the one domain every gettext goes through.
    babel.domain_instance = _RequestDomain(domain=app.config.get("BABEL_DOMAIN", "messages"))
    # What Flask-Babel installs for templates' _() and ngettext(), through translations().
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: translations().ugettext(s),
        ngettext=lambda s, p, n: translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: translations().unpgettext(c, s, p, n),
    )

    @app.context_processor
    def _locale() -> dict:
        return {"current_locale": str(get_locale() or "en")}

    @app.after_request
    def _vary_by_language(response: Response) -> Response:
        # The session (the cookie) was read too, which Flask adds to Vary itself.
        if g.get("language_from_browser"):
            response.vary.add("Accept-Language")
        return response
