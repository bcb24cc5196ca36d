"""Response headers that every page gets."""

from __future__ import annotations

from flask import Flask, Response, g, request

from app import logs

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def init_app(app: Flask) -> None:
    @app.after_request
    def _security_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        # A page reached with a secret in its path must not hand that path on to the next.
        secret = logs.carries_secret(request.path)
        headers.setdefault("Referrer-Policy", "no-referrer" if secret else "same-origin")
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
