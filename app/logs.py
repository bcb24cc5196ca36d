"""Secrets travel in some URLs (feed links, guest manage links, sign-up confirmations, password
resets, guests' survey links, overflow seat offers). No log may keep them: one filter redacts
them, and it is put on every logger that can print a path — the app's, the dev server's and
gunicorn's access and error logs."""

from __future__ import annotations

import datetime as dt
import json
import logging
import re

# The path segment after one of these prefixes is a secret; the rest of the path is kept.
_SECRET_PATH = re.compile(
    r"(/(?:feeds|manage|join/confirm|password/reset|digest/confirm|digest/unsubscribe|survey"
    r"|offer)/)"
    r"[^/\s?#\"']+"
)


def carries_secret(path: str) -> bool:
    return _SECRET_PATH.search(path) is not None


def redact(text: str) -> str:
    return _SECRET_PATH.sub(r"\1[redacted]", text)


class RedactSecrets(logging.Filter):
    """Redacts the finished line (the secret may sit in the format or its arguments) and any
    traceback text, which can quote a URL too."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = redact(record.getMessage()), ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


_FILTER = RedactSecrets()


def protect(*loggers: logging.Logger) -> None:
    """Filter what these loggers log and what their handlers (and the root's) write; a
    logger's own filter does not see records that propagate to it, a handler's does."""
    for logger in (*loggers, logging.getLogger()):
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
        for handler in logger.handlers:
            if _FILTER not in handler.filters:
                handler.addFilter(_FILTER)


class JsonFormatter(logging.Formatter):
    """One JSON object per line (``LOG_FORMAT=json``) for a log collector: the time in UTC, the
    level, the logger, the request id (``X-Request-ID``, also sent back to the client) and
    the message; a record's ``fields`` (a dict) are added as they are, and a traceback goes in
    ``exception`` (redacted like the rest)."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", "-"),
            "message": redact(record.getMessage()),
            **getattr(record, "fields", {}),
        }
        trace = record.exc_text or (
            self.formatException(record.exc_info) if record.exc_info else ""
        )
        if trace:
            entry["exception"] = redact(trace)
        return json.dumps(entry, ensure_ascii=False, default=str)


def formatter(kind: str) -> logging.Formatter:
    """``LOG_FORMAT``: "json" for collectors, anything else a line a person reads."""
    if kind == "json":
        return JsonFormatter()
    return logging.Formatter("%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s")
