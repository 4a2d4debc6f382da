"""Command-line entry points: `flask create-user`, `flask seed-demo`."""

from __future__ import annotations

import sys

import click
from flask import Flask
from flask_babel import gettext as _

from coordapp.extensions import db
from coordapp.inbound.cli import inbound_cli
from coordapp.models import Role, User
from coordapp.signing.cli import signing_cli


def register(app: Flask) -> None:
    app.cli.add_command(signing_cli)
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
        """Create an account. The password is asked for, or read from stdin."""
        email = User.normalise_email(email)
        if db.session.scalar(db.select(User).filter_by(email=email)):
            raise click.ClickException(
                _("A user with the email %(email)s already exists.", email=email)
            )
        if sys.stdin.isatty():
            password = click.prompt(_("Password"), hide_input=True, confirmation_prompt=True)
        else:
            password = sys.stdin.readline().rstrip("\n")
        if len(password) < 10:
            raise click.ClickException(_("The password must have at least 10 characters."))
        user = User(email=email, name=name, role=Role(role))
        user.set_password(password)
        db.session.add(user)
        db.session.commit()
        click.echo(
            _("Created the account %(email)s (%(role)s).", email=email, role=Role(role).label)
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
