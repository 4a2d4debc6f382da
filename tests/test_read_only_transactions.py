"""A request that only read ends its transaction with COMMIT (coordapp/database.py), so
that psycopg keeps its prepared statements and PostgreSQL does not plan the busiest
pages' queries on every visit; a request that wrote and did not commit is still rolled
back, whatever it wrote with."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from coordapp import create_app
from coordapp.access import public
from coordapp.database import commit_if_read_only
from coordapp.extensions import db
from coordapp.links import rsvp_token
from coordapp.models import Category, Invitation, Organisation
from tests.conftest import test_config
from tests.factories import make_contact, make_meeting, make_organisation


def _rsvp_path() -> str:
    invitation = Invitation(meeting=make_meeting(), contact=make_contact())
    db.session.add(invitation)
    db.session.commit()
    return f"/rsvp/{rsvp_token(invitation)}"


def _organisations(name: str) -> int:
    # A connection of its own: only what was committed.
    with db.engine.connect() as conn:
        return conn.scalar(
            sa.select(sa.func.count())
            .select_from(Organisation.__table__)
            .where(Organisation.name == name)
        )


# --- the rule, on the session --------------------------------------------------------------


def test_a_transaction_that_only_read_is_committed(app):
    make_organisation(name="Read me")
    db.session.commit()
    assert db.session.scalar(sa.select(Organisation.name)) == "Read me"
    assert commit_if_read_only(db.session()) is True
    assert db.session().get_transaction() is None


def test_flushed_rows_are_never_committed_by_the_rule(app):
    db.session.add(Organisation(name="Flushed, not committed", category=Category.OTHER))
    db.session.flush()
    assert commit_if_read_only(db.session()) is False
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Organisation)) == 0


def test_changes_not_yet_flushed_are_never_committed_by_the_rule(app):
    organisation = make_organisation(name="Before")
    db.session.commit()
    organisation.name = "After"  # pending in the session, no statement sent
    assert commit_if_read_only(db.session()) is False
    db.session.rollback()
    assert db.session.scalar(sa.select(Organisation.name)) == "Before"


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE organisations SET name = 'Changed by SQL'",
        "  delete from organisations",
        "WITH gone AS (SELECT 1) UPDATE organisations SET name = 'Changed by SQL'",
    ],
)
def test_any_statement_but_a_select_counts_as_a_write(app, statement):
    make_organisation(name="Kept")
    db.session.commit()
    db.session.execute(sa.text(statement))
    assert commit_if_read_only(db.session()) is False
    db.session.rollback()
    assert db.session.scalar(sa.select(Organisation.name)) == "Kept"


def test_a_write_earlier_in_the_transaction_is_not_forgotten_by_a_savepoint(app):
    db.session.add(Organisation(name="Written first", category=Category.OTHER))
    db.session.flush()
    with db.session.begin_nested():
        db.session.scalar(sa.select(sa.func.count()).select_from(Organisation))
    assert commit_if_read_only(db.session()) is False


# --- the rule, on requests (real commits, an app served as in production) ------------------


@pytest.fixture
def served(app):
    """A second app whose requests each push their own app context, as under gunicorn:
    Flask-SQLAlchemy ends each request's session (the `app` fixture's context, shared
    by its requests, would not). The `commits` fixture empties the tables afterwards."""
    served = create_app(test_config())
    yield served
    with served.app_context():
        db.engine.dispose()


def _in(app, query):
    with app.app_context():
        try:
            return query()
        finally:
            db.session.remove()


@pytest.mark.commits
def test_a_page_that_only_reads_ends_with_commit_not_rollback(app, served):
    path = _rsvp_path()
    ended = []

    def committed(conn):
        ended.append("commit")

    def rolled_back(conn):
        ended.append("rollback")

    engine = _in(served, lambda: db.engine)
    sa.event.listen(engine, "commit", committed)
    sa.event.listen(engine, "rollback", rolled_back)
    try:
        assert served.test_client().get(path).status_code == 200
    finally:
        sa.event.remove(engine, "commit", committed)
        sa.event.remove(engine, "rollback", rolled_back)
    assert ended == ["commit"]


@pytest.mark.commits
def test_a_request_that_wrote_without_committing_is_still_rolled_back(app, served):
    @served.get("/_test/flush-and-leave")
    @public
    def _flush_and_leave():
        db.session.add(Organisation(name="Flushed by a view", category=Category.OTHER))
        db.session.flush()
        db.session.scalar(sa.select(sa.func.count()).select_from(Organisation))
        return "left without committing"

    @served.get("/_test/sql-and-leave")
    @public
    def _sql_and_leave():
        db.session.execute(
            sa.text(
                "INSERT INTO organisations (name, category, active, created_at)"
                " VALUES (:n, 'other', TRUE, CURRENT_TIMESTAMP)"
            ),
            {"n": "Inserted by SQL"},
        )
        return "left without committing"

    client = served.test_client()
    assert client.get("/_test/flush-and-leave").status_code == 200
    assert client.get("/_test/sql-and-leave").status_code == 200
    assert _organisations("Flushed by a view") == 0
    assert _organisations("Inserted by SQL") == 0


@pytest.mark.postgres_only
@pytest.mark.commits
def test_postgresql_plans_the_rsvp_pages_query_once_per_connection(app, served):
    """psycopg prepares a statement after five runs on a connection and forgets them all
    on ROLLBACK: before the rule, no statement of a page that only reads was ever
    prepared, so PostgreSQL planned the six-table join of the RSVP page on every visit."""
    path = _rsvp_path()
    client = served.test_client()
    for _ in range(7):
        assert client.get(path).status_code == 200
    prepared = _in(
        served,
        lambda: db.session.scalars(sa.text("SELECT statement FROM pg_prepared_statements")).all(),
    )
    assert any("FROM invitations" in statement for statement in prepared), prepared
