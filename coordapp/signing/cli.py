"""`flask signing init-ca`: create the deployment's signing CA."""

from __future__ import annotations

from pathlib import Path

import click
from cryptography.hazmat.primitives import serialization
from flask import current_app
from flask.cli import AppGroup
from flask_babel import gettext as _

from coordapp.extensions import db
from coordapp.signing import SigningError

signing_cli = AppGroup("signing", help="The signing CA for approved minutes.")


def ca_certificate_path() -> Path:
    return Path(current_app.instance_path) / "signing" / "ca.pem"


@signing_cli.command("init-ca")
@click.option("--force", is_flag=True, help="Replace the active CA (the old one is retired).")
@click.option("--name", "common_name", help="CA common name [default: '<network> signing CA'].")
@click.option("--organisation", help="CA organisation [default: the network name].")
def init_ca_command(force: bool, common_name: str | None, organisation: str | None) -> None:
    """Create the CA (key encrypted in the database) and write its public certificate to
    instance/signing/ca.pem for the people who verify signed minutes."""
    from coordapp.signing.ca import certificate_of, fingerprint, init_ca

    try:
        authority = init_ca(common_name, organisation, force=force)
    except SigningError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    db.session.commit()
    cert = certificate_of(authority)
    path = ca_certificate_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    click.echo(_("Signing CA created: %(subject)s", subject=authority.subject))
    click.echo(_("SHA-256 fingerprint: %(fingerprint)s", fingerprint=fingerprint(cert)))
    click.echo(_("Public certificate written to %(path)s", path=path))
