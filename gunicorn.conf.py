"""gunicorn settings: `gunicorn -c gunicorn.conf.py wsgi:app` (gunicorn also reads this file by
itself when started in this folder).

- No log line may contain a secret link: the app's redaction filter goes on gunicorn's access
  and error logs too.
- Several workers need shared rate-limit counters: with per-process ``memory://`` counters each
  worker would allow the full limit again, so the server refuses to start that way.
- ``LOG_FORMAT=json``: gunicorn's own lines and its access log are JSON objects too, the access
  line with the request id the app sent back (``X-Request-ID``), so one request's lines join up.
- SIGTERM (systemd, Docker, Kubernetes) stops taking new connections and lets each worker finish
  the requests it has for up to ``graceful_timeout`` seconds before it is killed.
"""

import os

from gunicorn.glogging import Logger

from app import logs

workers = 4
graceful_timeout = 30
JSON = os.environ.get("LOG_FORMAT", "text") == "json"


class RedactingLogger(Logger):
    def setup(self, cfg):
        super().setup(cfg)
        logs.protect(self.error_log, self.access_log)
        if JSON:
            for handler in (*self.error_log.handlers, *self.access_log.handlers):
                handler.setFormatter(logs.JsonFormatter())

    def access(self, resp, req, environ, request_time):
        if not JSON or not self.cfg.accesslog:
            return super().access(resp, req, environ, request_time)
        atoms = self.atoms(resp, req, environ, request_time)
        fields = {
            "request_id": atoms.get("{x-request-id}o", "-"),
            "remote": atoms["h"],
            "method": atoms["m"],
            "path": logs.redact(atoms["U"]),
            "status": resp.status_code,
            "bytes": atoms["B"],
            "duration_ms": round(request_time.total_seconds() * 1000, 1),
            "user_agent": atoms["a"],
        }
        line = f"{fields['method']} {fields['path']} {fields['status']}"
        self.access_log.info(line, extra={"fields": fields})


logger_class = RedactingLogger


def on_starting(server):
    from app.config import shared_state_problem

    problem = shared_state_problem(server.cfg.workers)
    if problem:
        raise SystemExit(problem)
