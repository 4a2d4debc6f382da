"""A rule that refuses an action: the person reads why, with the right status, and
nothing the action had already changed is saved."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from coordapp import create_app
from coordapp.access import public
from coordapp.agenda.service import AgendaOrderError
from coordapp.commitments.service import CommitmentError
from coordapp.extensions import db
from coordapp.models import Category, Organisation
from tests.conftest import test_config


def _refusing_route(error):
    """A client of an app (of its own: the shared one has served requests already) with
    a route that changes something, then refuses."""
    app = create_app(test_config())

    @app.post("/test-refusal")
    @public
    def refuse():
        db.session.add(Organisation(name="Half-done Ltd", category=Category.UN_AGENCY))
        db.session.flush()
        raise error

    return app.test_client()


def test_a_refused_action_shows_its_message_and_saves_nothing(app):
    client = _refusing_route(CommitmentError("This commitment cannot change now."))

    response = client.post("/test-refusal")

    assert response.status_code == 409
    assert "This commitment cannot change now." in response.get_data(as_text=True)
    db.session.commit()  # what the next request in this session would commit
    assert db.session.scalar(sa.select(Organisation).filter_by(name="Half-done Ltd")) is None


def test_a_script_gets_the_refusal_as_json_with_its_status(app):
    client = _refusing_route(AgendaOrderError("The new order could not be read."))

    response = client.post("/test-refusal", headers={"Accept": "application/json"})

    assert response.status_code == 400
    assert response.get_json() == {"ok": False, "message": "The new order could not be read."}


# --- the database is down ------------------------------------------------------------------

UNREACHABLE_DATABASES = {
    "sqlite": "sqlite:////nonexistent-directory/coordapp/unreachable.sqlite",
    "postgresql": "postgresql+psycopg://postgres@127.0.0.1:1/unreachable?connect_timeout=2",
}


@pytest.mark.parametrize("database", sorted(UNREACHABLE_DATABASES))
def test_pages_answer_503_with_the_error_page_while_the_database_is_down(database):
    # Not the `app` fixture: its session would reach the test database whatever the app.
    down = create_app(
        test_config(
            SQLALCHEMY_DATABASE_URI=UNREACHABLE_DATABASES[database],
            PROPAGATE_EXCEPTIONS=False,
        )
    )
    try:
        token = f"{'0' * 32}.{'A' * 24}"
        anonymous = down.test_client()
        response = anonymous.get(f"/rsvp/{token}")
        assert response.status_code == 503
        assert "The service is temporarily unavailable." in response.get_data(as_text=True)
        assert response.headers["Retry-After"]

        logged_in = down.test_client()
        with logged_in.session_transaction() as session:
            session["_user_id"] = "some-login-token"
        response = logged_in.get("/admin/users")
        assert response.status_code == 503
        page = response.get_data(as_text=True)
        assert "The service is temporarily unavailable." in page and "Log out" not in page

        script = logged_in.get("/admin/users", headers={"Accept": "application/json"})
        assert script.status_code == 503 and script.json["ok"] is False
    finally:
        with down.app_context():
            db.engine.dispose()
