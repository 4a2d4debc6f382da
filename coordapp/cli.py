"""Command-line entry points: `flask create-user`, `flask seed-demo`."""

from __future__ import annotations

import sys

import click
from flask import Flask
from flask_babel import gettext as _

from coordapp.errors import DomainError
from coordapp.extensions import db
from coordapp.models import Role, User
from coordapp.signing.cli import signing_cli


def register(app: Flask) -> None:
    app.cli.add_command(signing_cli)

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
