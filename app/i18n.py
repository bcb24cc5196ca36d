"""Language and time zone of the person looking at the page (Flask-Babel selectors)."""

from __future__ import annotations

from babel import support
from flask import Flask, current_app, has_request_context, request
from flask_babel import Domain, _get_current_context, get_locale
from flask_login import current_user

from app.extensions import babel


def select_locale() -> str | None:
    if not has_request_context():  # CLI commands speak the default language
        return None
    languages = list(current_app.config["LANGUAGES"])
    if current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    return request.accept_languages.best_match(languages)


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


def init_i18n(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    # Babel.domain_instance is a cached property: the one domain every gettext goes through.
    babel.domain_instance = _RequestDomain(domain=app.config.get("BABEL_DOMAIN", "messages"))

    @app.context_processor
    def _locale() -> dict:
        return {"current_locale": str(get_locale() or "en")}
