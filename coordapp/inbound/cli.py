"""`flask inbound fetch`: read the mailbox once and print what was done (for cron and
tests); `flask inbound purge`: delete stored messages past their retention."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from coordapp.inbound import mailbox, service

inbound_cli = AppGroup("inbound", help="Answers that arrive by email.")


@inbound_cli.command("fetch")
@click.option(
    "--limit",
    type=click.IntRange(1, 100_000),
    default=None,
    help="Read at most this many messages.",
)
def fetch_command(limit: int | None) -> None:
    """Read the mailbox once and print what was done."""
    try:
        summary = mailbox.fetch(limit)
    except mailbox.MailboxError as error:
        raise click.ClickException(str(error)) from error
    click.echo(summary.line())


@inbound_cli.command("purge")
def purge_command() -> None:
    """Delete stored messages older than INBOUND_RETENTION_DAYS."""
    click.echo(f"purged={service.purge_old_messages()}")
