"""gunicorn settings: `gunicorn -c gunicorn.conf.py wsgi:app` (gunicorn also reads this file by
itself when started in this folder).

- No log line may contain a secret link: the app's redaction filter goes on gunicorn's access
  and error logs too.
- Several workers need shared rate-limit counters: with per-process ``memory://`` counters each
  worker would allow the full limit again, so the server refuses to start that way.
"""

from gunicorn.glogging import Logger

from app import logs

workers = 4


class RedactingLogger(Logger):
    def setup(self, cfg):
        super().setup(cfg)
        logs.protect(self.error_log, self.access_log)


logger_class = RedactingLogger


def on_starting(server):
    from app.config import shared_state_problem

    problem = shared_state_problem(server.cfg.workers)
    if problem:
        raise SystemExit(problem)
