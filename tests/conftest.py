"""Test set-up: a real database (SQLite file by default, PostgreSQL when
TEST_DATABASE_URL is set) built once per run by the Alembic migrations, so every test
sees the real constraints and triggers. One app serves the whole run; each test runs
inside a transaction that is rolled back at the end. Tests that need real commits
(threads, a live server, a second connection) are marked `commits`: they get an app of
their own and the tables are emptied afterwards."""

from __future__ import annotations

import contextlib
import os
import tempfile
import warnings
from pathlib import Path
from unittest import mock

import flask_migrate
import pytest
import sqlalchemy as sa
from flask import Flask, g
from flask_sqlalchemy.session import Session as FlaskSession

from coordapp import create_app, jobs
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
        # Fast hashes: the suite sets many passwords; production keeps scrypt.
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        # Tests deliver the outbox explicitly (coordapp.mail.delivery), with a real SMTP
        # server where they need one.
        "MAIL_DELIVER_AFTER_COMMIT": False,
        "MAIL_FILE_DIR": tempfile.mkdtemp(prefix="coordapp-mail-"),
    }
    config.update(overrides)
    return config


test_config.__test__ = False  # a helper, not a test, even when imported into a test module


@pytest.fixture(scope="session")
def _schema():
    """Build the schema once per run with the migrations (so the triggers exist too),
    on PostgreSQL after dropping whatever an earlier run left."""
    app = create_app(test_config())
    with app.app_context():
        if IS_POSTGRES:
            with db.engine.begin() as conn:
                conn.execute(sa.text("DROP SCHEMA public CASCADE"))
                conn.execute(sa.text("CREATE SCHEMA public"))
        # migrations/env.py configures logging from alembic.ini (keep pytest's) and asks
        # Flask-SQLAlchemy for its engine the old way first (a DeprecationWarning).
        with mock.patch("logging.config.fileConfig"), warnings.catch_warnings():
            warnings.filterwarnings("ignore", "'get_engine' is deprecated", DeprecationWarning)
            flask_migrate.upgrade()
        db.engine.dispose()
    yield


def forget_cached_user_before_each_request(app: Flask) -> None:
    # A test keeps one app context (and so one `g`) open, which requests reuse; forget
    # the user that Flask-Login cached in `g` so each request authenticates on its own
    # cookies, and the CSRF token Flask-WTF cached there (it belongs to one session).
    @app.before_request
    def _forget_cached_user():
        g.pop("_login_user", None)
        g.pop("csrf_token", None)


def _let_sqlite_use_savepoints(engine: sa.Engine) -> None:
    """pysqlite begins transactions on its own (and not before a SAVEPOINT), so a
    RELEASE would commit for real; let SQLAlchemy emit BEGIN itself (SQLAlchemy's
    documented recipe). Test-only: the app's own engine keeps the driver's default."""

    @sa.event.listens_for(engine, "connect")
    def _no_driver_transactions(dbapi_connection, record):
        dbapi_connection.isolation_level = None

    @sa.event.listens_for(engine, "begin")
    def _begin(connection):
        connection.exec_driver_sql("BEGIN")


@pytest.fixture(scope="session")
def _shared_app(_schema):
    """The app the tests share: building one costs about 0.1 s."""
    app = create_app(test_config())
    forget_cached_user_before_each_request(app)
    if not IS_POSTGRES:
        with app.app_context():
            _let_sqlite_use_savepoints(db.engine)
    return app


class _SessionOnTestConnection(FlaskSession):
    """Flask-SQLAlchemy's session picks the app's engine and ignores `bind`; this one
    uses the test's connection, whichever app asks (tests build extra apps too)."""

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        return bind if bind is not None else self.bind


@contextlib.contextmanager
def _config_restored(app: Flask):
    saved = dict(app.config)
    # Each test gets its own mail folder, as it would with an app of its own.
    app.config["MAIL_FILE_DIR"] = tempfile.mkdtemp(prefix="coordapp-mail-")
    try:
        yield
    finally:
        app.config.clear()
        app.config.update(saved)


def _in_a_rolled_back_transaction(app: Flask):
    """Join `db.session` to an outer transaction on one connection; the code's own
    commits and rollbacks become savepoints, and the test's end rolls everything back."""
    with _config_restored(app), app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
        app_session = db.session
        db.session = db._make_scoped_session(
            {
                "class_": _SessionOnTestConnection,
                "bind": connection,
                "join_transaction_mode": "create_savepoint",
            }
        )
        try:
            yield app
        finally:
            db.session.remove()
            db.session = app_session
            outer.rollback()
            connection.close()


def _empty_all_tables() -> None:
    tables = list(reversed(Base.metadata.sorted_tables))
    with db.engine.begin() as conn:
        if IS_POSTGRES:
            # TRUNCATE fires no row triggers, so approved minutes go too.
            names = ", ".join(f'"{t.name}"' for t in tables)
            conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            return
        # SQLite's triggers refuse to delete approved minutes: set them aside meanwhile.
        triggers = conn.execute(
            sa.text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
        ).all()
        for name, _ in triggers:
            conn.execute(sa.text(f'DROP TRIGGER "{name}"'))
        for table in tables:
            conn.execute(table.delete())
        for _, sql in triggers:
            conn.execute(sa.text(sql))


def _committing(app: Flask):
    """Real commits on the app's own engine; the tables are emptied afterwards."""
    with app.app_context():
        try:
            yield app
        finally:
            db.session.remove()
            _empty_all_tables()
            db.engine.dispose()


@pytest.fixture
def app(request, _schema):
    if request.node.get_closest_marker("commits"):
        app = create_app(test_config())
        forget_cached_user_before_each_request(app)
        yield from _committing(app)
    else:
        app = request.getfixturevalue("_shared_app")
        # The job queue is global: an app built by an earlier test (importing the worker
        # module builds one) left it pointing at its own storage, jobs no longer run inline.
        jobs.configure_queue(app)
        yield from _in_a_rolled_back_transaction(app)


@pytest.fixture
def client(app):
    return app.test_client()


def login_as(client, user) -> None:
    """Log `user` (or anything with the user's `id`) in on `client` without going through
    the login form: a new login session, as the form would start."""
    from coordapp.auth.sessions import start_session
    from coordapp.models import User

    token = start_session(db.session.get(User, user.id))
    db.session.commit()
    with client.session_transaction() as session:
        session["_user_id"] = token
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


# Transaction control, which the per-test transaction adds as savepoints: not queries.
_NOT_QUERIES = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT", "BEGIN")


class QueryCounter:
    def __init__(self) -> None:
        self.statements: list[str] = []
        # Statements the driver ran once per parameter set (executemany): each is as
        # many executions (on PostgreSQL, round trips) as it had sets.
        self.executemany: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)

    def __call__(self, conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith(_NOT_QUERIES):
            self.statements.append(statement)
            if executemany and len(parameters) > 1:
                self.executemany.append(statement)


@contextlib.contextmanager
def count_queries():
    """Count the SQL statements run inside the block: `with count_queries() as q:`."""
    counter = QueryCounter()
    sa.event.listen(db.engine, "before_cursor_execute", counter)
    try:
        yield counter
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", counter)


def pytest_collection_modifyitems(config, items):
    """PostgreSQL-only tests are left out of the SQLite run (they run in the PostgreSQL
    run), and SQLite-only ones out of the PostgreSQL run (checks of what the browser shows,
    which no database changes, run once), reported as deselected rather than skipped."""
    other_run = "sqlite_only" if IS_POSTGRES else "postgres_only"
    kept, left_out = [], []
    for item in items:
        (left_out if item.get_closest_marker(other_run) else kept).append(item)
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = kept


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """In CI nothing may skip silently: a skipped test (missing browser, missing
    service…) is turned into a failure."""
    outcome = yield
    report = outcome.get_result()
    if os.environ.get("CI") and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, which is not allowed: {report.longrepr}"


# --- live server and browser -------------------------------------------------------------

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture
def live_server(request, app):
    """The test app served over real HTTP on a loopback port, in a thread."""
    import threading

    if not request.node.get_closest_marker("commits"):
        pytest.fail("a live server runs in its own thread: mark the test @pytest.mark.commits")

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.url = f"http://127.0.0.1:{server.server_port}"
    yield server
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright. A missing browser is an error, not a skip."""
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package (see .ci/run)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    """A browser tab. The test fails if the page's Content-Security-Policy refused
    anything (an inline script or style the templates should not have)."""
    context = browser.new_context(locale="en-GB", timezone_id="UTC")
    page = context.new_page()
    page.set_default_timeout(15_000)
    refused: list[str] = []
    page.on(
        "console",
        lambda message: (
            refused.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    yield page
    context.close()
    assert not refused, f"the Content-Security-Policy refused: {refused[:5]}"


@pytest.fixture
def smtp_server(app):
    """A real SMTP server on loopback; the app is configured to deliver to it."""
    from tests.smtp import SMTPServer

    server = SMTPServer().start()
    app.config.update(MAIL_SERVER=server.host, MAIL_PORT=server.port, MAIL_USE_TLS=False)
    yield server
    server.stop()
