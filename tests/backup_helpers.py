"""Throw-away databases of either engine for the backup and restore tests, each with an
app of its own (the backup's source, the restore's target)."""

from __future__ import annotations

import contextlib
import uuid
import warnings
from unittest import mock

import flask_migrate
import sqlalchemy as sa
from click.testing import Result
from flask import Flask

from coordapp import create_app
from coordapp.extensions import db
from tests.conftest import DATABASE_URL, IS_POSTGRES, test_config


@contextlib.contextmanager
def alembic_quiet():
    # migrations/env.py configures logging from alembic.ini (keep pytest's) and asks
    # Flask-SQLAlchemy for its engine the old way first (a DeprecationWarning).
    with mock.patch("logging.config.fileConfig"), warnings.catch_warnings():
        warnings.filterwarnings("ignore", "'get_engine' is deprecated", DeprecationWarning)
        yield


def app_on(url: str, **config) -> Flask:
    """An app of its own on the database at `url` (real commits)."""
    return create_app(test_config(SQLALCHEMY_DATABASE_URI=url, **config))


def migrate(app: Flask, revision: str = "head") -> None:
    with app.app_context(), alembic_quiet():
        flask_migrate.upgrade(revision=revision)


def run(app: Flask, *args: str, env: dict | None = None) -> Result:
    """`flask <args>` against `app`, as an operator would type it."""
    with alembic_quiet():
        return app.test_cli_runner().invoke(args=list(args), env=env, catch_exceptions=False)


def sqlite_url(tmp_path, name: str) -> str:
    return f"sqlite:///{tmp_path / name}.sqlite"


@contextlib.contextmanager
def postgres_database():
    """A new, empty PostgreSQL database beside the test one; dropped afterwards."""
    assert IS_POSTGRES, "needs TEST_DATABASE_URL (mark the test postgres_only)"
    name = f"coordapp_restore_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(DATABASE_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield sa.engine.make_url(DATABASE_URL).set(database=name).render_as_string(False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def dispose(app: Flask) -> None:
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
