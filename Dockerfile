# The app server image: gunicorn with gunicorn.conf.py on port 8000. Configure it with the
# environment (deploy/circles.env.example lists the settings); run the migrations once per
# release (`docker run --rm --env-file circles.env IMAGE flask --app wsgi db upgrade`) and the
# jobs of deploy/*.timer from the same image on a schedule.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    LOG_FORMAT=json

RUN useradd --system --create-home --home-dir /srv/learning-circles circles
WORKDIR /srv/learning-circles

COPY requirements.txt .
RUN pip install -r requirements.txt

COPY --chown=circles:circles . .
# The Spanish (and any other) catalogue, compiled from its .po (the .mo is not kept in git).
RUN pybabel compile -d translations
USER circles

EXPOSE 8000
# /healthz: the process is up (the orchestrator restarts it if not); a load balancer should
# route by /readyz (database and Redis reachable).
HEALTHCHECK --interval=30s --timeout=3s \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"

# SIGTERM (docker stop) lets requests in flight finish: give it more than graceful_timeout,
# e.g. docker stop -t 40.
STOPSIGNAL SIGTERM
CMD ["gunicorn", "-c", "gunicorn.conf.py", "-b", "0.0.0.0:8000", "wsgi:app"]
