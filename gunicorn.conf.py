"""gunicorn settings: `gunicorn -c gunicorn.conf.py wsgi:app` (the defaults fit otherwise).

The access log (when enabled with --access-logfile) must never contain secret feed links.
"""

from gunicorn.glogging import Logger

from app import redact_feed_tokens


class RedactingLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for key in ("r", "U", "{raw_uri}e"):
            if isinstance(atoms.get(key), str):
                atoms[key] = redact_feed_tokens(atoms[key])
        return atoms


logger_class = RedactingLogger
workers = 4
