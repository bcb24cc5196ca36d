"""Command-line tasks: `flask demo load`, `flask outbox send`, `flask reminders send`,
`flask digests send`, `flask digest send`, `flask evaluations send`, `flask feeds prune`,
`flask seed-scale`."""

from __future__ import annotations

import time

import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext
from sqlalchemy.exc import OperationalError

from app.extensions import db

demo_cli = AppGroup("demo", help="Demo data.")
outbox_cli = AppGroup("outbox", help="The email outbox.")
reminders_cli = AppGroup("reminders", help="Meeting reminders.")
feeds_cli = AppGroup("feeds", help="Calendar feeds.")
digests_cli = AppGroup("digests", help="Facilitators' daily digest.")
# Not to be confused with ``digests`` above: the subscribers' weekly/monthly digest (issue 14).
digest_cli = AppGroup("digest", help="The Learning Services digest for subscribers.")
evaluations_cli = AppGroup("evaluations", help="End-of-circle surveys.")


@demo_cli.command("load")
def demo_load() -> None:
    """Load demo branches, rooms and people (once; safe to repeat)."""
    from app.demo import DEMO_PASSWORD, USERS, load_demo

    added = load_demo()
    db.session.commit()
    click.echo("Demo data loaded." if added else "Demo data already present.")
    click.echo(f"Demo logins (password for all: {DEMO_PASSWORD}):")
    for email, name, *_ in USERS:
        click.echo(f"  {email:<26} {name}")
    click.echo("  staff01@example.org … staff10@example.org: participants of past circles")


@outbox_cli.command("send")
@click.option("--every", type=int, default=0, help="Keep running, sending every N seconds.")
def outbox_send(every: int) -> None:
    """Deliver due emails; failures are retried later with back-off."""
    from app.outbox import deliver_due

    while True:
        try:
            sent, failed = deliver_due()
        except OperationalError as error:
            # A SQLite file locked past the busy timeout, a PostgreSQL restart: a one-off run
            # fails (cron shows it); the long-running sender says so and tries again.
            if not every:
                raise
            db.session.rollback()
            click.echo(f"Outbox: the database did not answer ({error.orig}); trying again.")
        else:
            if sent or failed or not every:
                click.echo(f"Outbox: {sent} sent, {failed} failed.")
        if not every:
            return
        db.session.remove()
        time.sleep(every)


@reminders_cli.command("send")
@click.option(
    "--lead-hours", type=int, default=None, help="How long before a meeting (default 48)."
)
def reminders_send(lead_hours: int | None) -> None:
    """Queue reminders for meetings starting soon and for credentials lapsing within
    CREDENTIAL_REMINDER_DAYS; run it hourly, each is sent once."""
    import datetime as dt

    from flask import current_app

    from app.attendance.renewals import send_reminders as send_credential_reminders
    from app.participation.services import send_reminders
    from app.timeutil import utcnow

    hours = lead_hours if lead_hours is not None else current_app.config["REMINDER_LEAD_HOURS"]
    queued = send_reminders(utcnow(), dt.timedelta(hours=hours))
    db.session.commit()
    click.echo(f"Reminders: {queued} queued.")
    lapsing = send_credential_reminders(utcnow())
    db.session.commit()
    click.echo(f"Credentials lapsing soon: {lapsing} reminded.")


@digests_cli.command("send")
def digests_send() -> None:
    """Email each facilitator who joined or left their circles and which outcomes were
    reported; run it daily (at most one email per facilitator a day, none if nothing
    happened)."""
    from app.circles.digest import send_digests
    from app.timeutil import utcnow

    queued = send_digests(utcnow())
    db.session.commit()
    click.echo(f"Digests: {queued} queued.")


@evaluations_cli.command("send")
def evaluations_send() -> None:
    """Invite participants to their circle's survey when it opens; run hourly, once each."""
    from app.evaluation.services import send_invitations
    from app.timeutil import utcnow

    queued = send_invitations(utcnow())
    db.session.commit()
    click.echo(f"Survey invitations: {queued} queued.")


@digest_cli.command("send")
def digest_send() -> None:
    """Email each due subscriber (weekly or monthly) the new and upcoming circles that match
    and were not sent to them before; run it daily. Safe to run twice at once."""
    from app.digest.services import send_digests
    from app.timeutil import utcnow

    queued = send_digests(utcnow())
    click.echo(f"Digest: {queued} queued.")


@feeds_cli.command("prune")
@click.option(
    "--keep-days", type=click.IntRange(min=1), default=2, help="Keep this many days (default 2)."
)
def feeds_prune(keep_days: int) -> None:
    """Forget cached renderings of calendar feeds that nobody can ask for any more; run it
    daily (each feed request also removes a few)."""
    import datetime as dt

    from app.calendar.services import prune_cache
    from app.timeutil import utcnow

    removed = prune_cache(utcnow(), dt.timedelta(days=keep_days))
    db.session.commit()
    click.echo(f"Feed cache: {removed} removed.")


@click.command("seed-scale")
@click.option("--scale", type=click.FloatRange(min=0.001, max=10), default=1.0, show_default=True)
@click.option("--seed", "seed_value", type=int, default=2026, show_default=True)
@with_appcontext
def seed_scale(scale: float, seed_value: int) -> None:
    """Load the statewide dataset (issue 15) into an empty database: 50 branches, 20,000
    people, 2,000 circles at scale 1. Same seed and day, same data."""
    from app.seed import KNOWN, PASSWORD, SeedRefused, seed

    started = time.perf_counter()
    try:
        counts = seed(scale, seed_value)
    except SeedRefused as refused:
        raise click.ClickException(str(refused)) from None
    for table, rows in counts.items():
        click.echo(f"  {table:<24} {rows:>8}")
    click.echo(f"Loaded {sum(counts.values())} rows in {time.perf_counter() - started:.1f} s.")
    click.echo(f"Sign in as {', '.join(k[0] for k in KNOWN)} (password for all: {PASSWORD}).")


def register_cli(app: Flask) -> None:
    app.cli.add_command(seed_scale)
    app.cli.add_command(demo_cli)
    app.cli.add_command(outbox_cli)
    app.cli.add_command(reminders_cli)
    app.cli.add_command(feeds_cli)
    app.cli.add_command(digests_cli)
    app.cli.add_command(digest_cli)
    app.cli.add_command(evaluations_cli)
    from app.privacy.cli import privacy_cli

    app.cli.add_command(privacy_cli)
