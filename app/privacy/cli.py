"""`flask privacy run [--dry-run]`: the retention run (app/privacy/retention.py), from cron."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from app.extensions import db
from app.privacy import retention
from app.timeutil import utcnow

privacy_cli = AppGroup("privacy", help="Personal data: the retention run.")


def _say(counts: retention.Counts, dry_run: bool) -> None:
    would = "would be " if dry_run else ""
    click.echo(f"Guest places {would}anonymised: {counts.guests}")
    click.echo(f"Member places {would}without contact details: {counts.contacts}")
    click.echo(f"Expired guest sign-ups {would}deleted: {counts.signups}")
    click.echo(f"Unconfirmed digest sign-ups {would}deleted: {counts.subscriptions}")


@privacy_cli.command("run")
@click.option("--dry-run", is_flag=True, help="Print what would be done; change nothing.")
def privacy_run(dry_run: bool) -> None:
    """Anonymise guests and remove roster contact details past the retention periods; delete
    expired sign-ups. Safe to repeat and to run on several hosts at once."""
    settings = retention.Settings.from_config(current_app.config)
    now = utcnow()
    if dry_run:
        due = retention.due(now, settings)
        _say(due, dry_run=True)
        for item in due.circles:
            click.echo(
                f"  circle {item.circle.id} {item.circle.title!r}, ended "
                f"{item.ended_at:%Y-%m-%d}: {item.guests} guest(s), {item.contacts} member(s)"
            )
        db.session.rollback()
        return
    counts = retention.run(now, settings, after_batch=db.session.commit)
    db.session.commit()
    _say(counts, dry_run=False)
