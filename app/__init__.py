"""Application factory: ``create_app()`` builds a configured app; nothing happens at import."""

from __future__ import annotations

import logging
import re
import uuid
from pathlib import Path
from typing import Any

from flask import Flask, g, request

from app import config as app_config
from app import logs
from app.extensions import csrf, db, limiter, login_manager, migrate

ROOT = Path(__file__).resolve().parent.parent
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_path=str(ROOT / "instance"),
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
    )
    app_config.load(app, overrides)
    _configure_logging(app)
    if app.config["PROXY_COUNT"]:
        # Behind N trusted proxies the client is the Nth address from the right, so rate
        # limits count real clients, not the proxy. Links never use the forwarded host.
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]

    from app import database  # noqa: F401  (registers the SQLite engine events)
    from app.auth.permissions import init_permissions
    from app.i18n import init_i18n

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    init_i18n(app)
    init_permissions(app)

    from app import errors, security

    security.init_app(app)
    errors.init_app(app)
    from app import edges

    edges.init_app(app)  # before the blueprints: their <int:...> routes take its converter
    _register_blueprints(app)
    from app import boundary

    boundary.init_app(app)  # every view commits once, or rolls back (app/boundary.py)

    from app.cli import register_cli

    register_cli(app)
    return app


def _register_blueprints(app: Flask) -> None:
    from app.admin.views import bp as admin_bp
    from app.api.views import bp as api_bp
    from app.attendance.views import bp as attendance_bp
    from app.auth.views import bp as auth_bp
    from app.calendar.views import bp as calendar_bp
    from app.catalog.views import bp as catalog_bp
    from app.circles.views import bp as circles_bp
    from app.demand.views import bp as demand_bp
    from app.digest.views import bp as digest_bp
    from app.embeds.views import bp as embeds_bp
    from app.evaluation.views import bp as evaluation_bp
    from app.labels import label, when
    from app.links import external_url
    from app.main.views import bp as main_bp
    from app.models import EnrollmentStatus
    from app.participation.views import bp as participation_bp
    from app.pathways.views import bp as pathways_bp
    from app.privacy.export_views import bp as privacy_export_bp
    from app.privacy.views import bp as privacy_bp
    from app.records.views import bp as records_bp
    from app.reports.views import bp as reports_bp
    from app.rooms.booking_views import bp as bookings_bp
    from app.rooms.views import bp as rooms_bp
    from app.timeutil import zone_name

    for bp in (
        main_bp,
        auth_bp,
        admin_bp,
        rooms_bp,
        bookings_bp,
        catalog_bp,
        circles_bp,
        participation_bp,
        attendance_bp,
        calendar_bp,
        reports_bp,
        pathways_bp,
        records_bp,
        demand_bp,
        digest_bp,
        evaluation_bp,
        embeds_bp,
        api_bp,
        privacy_export_bp,
        privacy_bp,
    ):
        app.register_blueprint(bp)
    app.add_template_filter(label)
    app.add_template_filter(when)
    app.add_template_filter(zone_name)
    app.add_template_global(external_url)
    app.add_template_global(EnrollmentStatus)  # the roster's sections, one per status


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        from flask import has_request_context

        record.request_id = g.get("request_id", "-") if has_request_context() else "-"
        return True


def _configure_logging(app: Flask) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logs.formatter(app.config["LOG_FORMAT"]))
    handler.addFilter(_RequestIdFilter())
    app.logger.handlers[:] = [handler]
    logs.protect(app.logger, logging.getLogger("werkzeug"))  # werkzeug: the dev server's log
    app.logger.setLevel(app.config.get("LOG_LEVEL", "INFO"))

    @app.before_request
    def _assign_request_id() -> None:
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
