"""Command-line entry points: `flask create-user`, `flask seed-demo`, `flask backup`,
`flask restore`."""

from __future__ import annotations

import sys

import click
from flask import Flask
from flask.cli import with_appcontext
from flask_babel import gettext as _

from coordapp.errors import DomainError
from coordapp.extensions import db
from coordapp.inbound.cli import inbound_cli
from coordapp.models import Role, User
from coordapp.signing.cli import signing_cli


def register(app: Flask) -> None:
    app.cli.add_command(signing_cli)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    app.cli.add_command(inbound_cli)

    @app.cli.command("create-user")
    @click.argument("email")
    @click.option("--name", required=True, help="Full name shown in the app.")
    @click.option(
        "--role",
        type=click.Choice([r.value for r in Role]),
        default=Role.MEMBER.value,
        show_default=True,
    )
    def create_user(email: str, name: str, role: str) -> None:
        """Create an account. The password is asked for, or read from stdin. The same
        rules and audit row as an administrator creating one (coordapp/admin/service.py)."""
        from coordapp.admin import service

        if service.email_taken(email):
            raise click.ClickException(
                _(
                    "A user with the email %(email)s already exists.",
                    email=User.normalise_email(email),
                )
            )
        if sys.stdin.isatty():
            password = click.prompt(_("Password"), hide_input=True, confirmation_prompt=True)
        else:
            password = sys.stdin.readline().rstrip("\n")
        try:
            user = service.create_user(email, name, Role(role), password, note="flask create-user")
        except DomainError as error:
            db.session.rollback()
            raise click.ClickException(str(error.message)) from None
        db.session.commit()
        click.echo(
            _("Created the account %(email)s (%(role)s).", email=user.email, role=user.role.label)
        )

    @app.cli.command("seed-demo")
    def seed_demo() -> None:
        """Load the demo network (idempotent) and print the demo logins."""
        from coordapp.demo import seed_demo_data

        created = seed_demo_data()
        click.echo(_("Demo data loaded.") if created else _("The demo data is already there."))
        from coordapp.demo import DEMO_LOGINS

        click.echo(_("Demo logins (email / password):"))
        for email, password, role in DEMO_LOGINS:
            click.echo(f"  {role:12} {email} / {password}")


# --- backup and restore (coordapp/backup.py) ---------------------------------------------------

PASSPHRASE_VARIABLE = "COORDAPP_BACKUP_PASSPHRASE"


def _configured_secrets():
    from flask import current_app

    from coordapp import backup
    from coordapp.signing import SigningConfigError
    from coordapp.signing.ca import key_passphrase

    try:
        signing = key_passphrase()
    except SigningConfigError:
        signing = None
    return backup.Secrets(current_app.config["SECRET_KEY"].encode(), signing)


def _archive_passphrase(confirm: bool) -> str:
    """The archive's passphrase: from COORDAPP_BACKUP_PASSPHRASE, else typed."""
    import os

    passphrase = os.environ.get(PASSPHRASE_VARIABLE)
    if passphrase:
        return passphrase
    if not sys.stdin.isatty():
        raise click.ClickException(
            _("Set %(variable)s to the archive's passphrase.", variable=PASSPHRASE_VARIABLE)
        )
    return click.prompt(_("Passphrase"), hide_input=True, confirmation_prompt=confirm)


def _migrate_to(revision: str) -> None:
    import flask_migrate

    flask_migrate.upgrade(revision=revision)


@click.command("backup")
@with_appcontext
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
@click.option(
    "--encrypt",
    is_flag=True,
    help="Encrypt the archive with a passphrase (COORDAPP_BACKUP_PASSPHRASE, else asked).",
)
def backup_command(path: str, encrypt: bool) -> None:
    """Write the whole database to PATH: a portable archive (restores on SQLite or
    PostgreSQL), taken in one consistent read while the app keeps running."""
    from coordapp import backup
    from coordapp.config import VERSION
    from coordapp.models import Base

    passphrase = _archive_passphrase(confirm=True) if encrypt else None
    try:
        manifest = backup.backup(
            db.engine,
            path,
            model_metadata=Base.metadata,
            secrets_=_configured_secrets(),
            app_version=VERSION,
            passphrase=passphrase,
        )
    except backup.BackupError as error:
        raise click.ClickException(str(error)) from error
    rows = sum(table["count"] for table in manifest["tables"].values())
    click.echo(
        _(
            "Backup written to %(path)s: %(tables)d tables, %(rows)d rows "
            "(schema revision %(revision)s).",
            path=path,
            tables=len(manifest["tables"]),
            rows=rows,
            revision=manifest["alembic_revision"],
        )
    )


@click.command("restore")
@with_appcontext
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def restore_command(path: str) -> None:
    """Load the archive PATH into the configured database, which must be empty; verify
    every table's row count and checksum, then upgrade the schema to the code's."""
    from coordapp import backup

    try:
        passphrase = _archive_passphrase(confirm=False) if backup.is_encrypted(path) else None
        result = backup.restore(
            db.engine,
            path,
            secrets_=_configured_secrets(),
            migrate_to=_migrate_to,
            passphrase=passphrase,
        )
    except backup.BackupError as error:
        raise click.ClickException(str(error)) from error
    rows = sum(table["count"] for table in result.tables.values())
    click.echo(
        _(
            "Restored %(tables)d tables, %(rows)d rows; every count and checksum matches "
            "the backup of %(time)s.",
            tables=len(result.tables),
            rows=rows,
            time=result.header["created_at"],
        )
    )
    if result.upgraded_from:
        click.echo(
            _(
                "The schema was upgraded from revision %(revision)s.",
                revision=result.upgraded_from,
            )
        )
