"""Test set-up: a real database (SQLite file by default, PostgreSQL when
TEST_DATABASE_URL is set), one app per test, tables emptied after each test."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

import pytest
import sqlalchemy as sa

from coordapp import create_app
from coordapp.extensions import db
from coordapp.models import Base, Role

TEST_SECRET = "test-secret-key-that-is-long-enough-0123456789"


def _database_url() -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://") :]
        return url
    path = Path(tempfile.mkdtemp(prefix="coordapp-test-")) / "test.sqlite"
    return f"sqlite:///{path}"


DATABASE_URL = _database_url()
IS_POSTGRES = DATABASE_URL.startswith("postgresql")


def pytest_report_header(config):
    return f"coordapp test database: {DATABASE_URL}"


def test_config(**overrides) -> dict:
    config = {
        "TESTING": True,
        "SECRET_KEY": TEST_SECRET,
        "SQLALCHEMY_DATABASE_URI": DATABASE_URL,
        "WTF_CSRF_ENABLED": False,
        "HUEY_IMMEDIATE": True,
        "SERVER_NAME": None,
    }
    config.update(overrides)
    return config


@pytest.fixture(scope="session")
def _schema():
    """Create the schema once per run (migrations are tested on their own)."""
    app = create_app(test_config())
    with app.app_context():
        if IS_POSTGRES:
            Base.metadata.drop_all(db.engine)
        Base.metadata.create_all(db.engine)
        db.engine.dispose()
    yield


def _empty_all_tables() -> None:
    tables = list(reversed(Base.metadata.sorted_tables))
    with db.engine.begin() as conn:
        if IS_POSTGRES:
            names = ", ".join(f'"{t.name}"' for t in tables)
            conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(table.delete())


@pytest.fixture
def app(_schema):
    app = create_app(test_config())
    with app.app_context():
        yield app
        db.session.remove()
        _empty_all_tables()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


def login_as(client, user) -> None:
    """Log `user` in on `client` without going through the login form."""
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True


@pytest.fixture
def make_user(app):
    from tests.factories import make_user as factory

    return factory


@pytest.fixture
def secretariat_client(app, client):
    from tests.factories import make_user

    user = make_user(role=Role.SECRETARIAT, email="sec@example.org", name="Sam Secretariat")
    login_as(client, user)
    client.user = user
    return client


@pytest.fixture
def admin_client(app, client):
    from tests.factories import make_user

    user = make_user(role=Role.ADMIN, email="admin@example.org", name="Ada Admin")
    login_as(client, user)
    client.user = user
    return client


@pytest.fixture
def member_client(app, client):
    from tests.factories import make_user

    user = make_user(role=Role.MEMBER, email="member@example.org", name="Mo Member")
    login_as(client, user)
    client.user = user
    return client


class QueryCounter:
    def __init__(self) -> None:
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)

    def __call__(self, conn, cursor, statement, parameters, context, executemany):
        self.statements.append(statement)


@contextlib.contextmanager
def count_queries():
    """Count the SQL statements run inside the block: `with count_queries() as q:`."""
    counter = QueryCounter()
    sa.event.listen(db.engine, "before_cursor_execute", counter)
    try:
        yield counter
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", counter)
