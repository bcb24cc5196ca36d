"""Language and time zone of the person looking at the page (Flask-Babel selectors)."""

from __future__ import annotations

from flask import Flask, current_app, has_request_context, request
from flask_babel import get_locale
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


def init_i18n(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)

    @app.context_processor
    def _locale() -> dict:
        return {"current_locale": str(get_locale() or "en")}
