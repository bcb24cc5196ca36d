"""URL safety (where a redirect may go, which links may be stored) and the response headers
that every page gets."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit

from flask import Flask, Response, g, request

from app import logs


def content_security_policy(frame_ancestors: Sequence[str] = ()) -> str:
    """The policy of every page. ``frame_ancestors``: the origins that may show it in a frame
    (the embed pages, app/embeds/); none, as for every other page: ``'none'``."""
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors " + (" ".join(frame_ancestors) or "'none'"),
        ]
    )


CONTENT_SECURITY_POLICY = content_security_policy()


def allow_framing_by(origins: Sequence[str]) -> None:
    """Let this request's response be framed by ``origins`` (normalised ones, as
    app.embeds.origins keeps them): its CSP ``frame-ancestors`` names them, and it has no
    X-Frame-Options (which cannot name an origin). No origins: refused, as everywhere."""
    g.frame_ancestors = tuple(origins)


def safe_next(target: str | None, fallback: str) -> str:
    """Only same-site paths: no scheme, no host, no protocol-relative or backslash tricks."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(ord(c) < 32 for c in target):
        return fallback
    return target


def is_web_url(text: str) -> bool:
    """An http(s) link with a host: no javascript:, data:, or relative paths."""
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:  # e.g. "http://[::1": WTForms would not catch it (a 500)
        return False
    return parts.scheme in {"http", "https"} and bool(parts.hostname) and " " not in text


def init_app(app: Flask) -> None:
    @app.after_request
    def _security_headers(response: Response) -> Response:
        headers = response.headers
        ancestors = g.get("frame_ancestors", ())
        policy = content_security_policy(ancestors) if ancestors else CONTENT_SECURITY_POLICY
        headers.setdefault("Content-Security-Policy", policy)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        # A page reached with a secret in its path must not hand that path on to the next.
        secret = logs.carries_secret(request.path)
        headers.setdefault("Referrer-Policy", "no-referrer" if secret else "same-origin")
        if not ancestors:
            headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        # Pages are personal (rosters, accounts, exports): no cache keeps one unless the view
        # says otherwise, as feeds (max-age=300) and static files (no-cache + ETag) do.
        headers.setdefault("Cache-Control", "no-store")
        if app.config["SESSION_COOKIE_SECURE"]:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000")

        if "request_id" in g:
            headers["X-Request-ID"] = g.request_id
        return response
