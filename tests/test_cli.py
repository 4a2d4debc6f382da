"""`flask create-user`: the first accounts are made from the command line."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from coordapp.extensions import db
from coordapp.models import Role, User
from tests.factories import make_user


def create_user(app, email="X@Example.org", role="secretariat", password="longpassword1"):
    return app.test_cli_runner().invoke(
        args=["create-user", email, "--name", "X", "--role", role], input=password + "\n"
    )


def users() -> list[User]:
    return db.session.scalars(sa.select(User)).all()


def test_create_user_stores_a_lowercased_email_and_the_role(app):
    result = create_user(app)
    assert result.exit_code == 0, result.output
    assert "Created the account x@example.org (Secretariat)." in result.output
    [user] = users()
    assert user.email == "x@example.org" and user.name == "X"
    assert user.role is Role.SECRETARIAT and user.active


def test_created_user_can_log_in(app, client):
    create_user(app)
    response = client.post("/login", data={"email": "x@example.org", "password": "longpassword1"})
    assert response.status_code == 302
    assert client.get("/account/password").status_code == 200


def test_short_password_is_refused(app):
    result = create_user(app, password="short")
    assert result.exit_code != 0
    assert "at least 10 characters" in result.output
    assert users() == []


def test_duplicate_email_is_refused_whatever_the_case(app):
    make_user(email="x@example.org")
    result = create_user(app, email="X@EXAMPLE.ORG")
    assert result.exit_code != 0
    assert "already exists" in result.output
    assert len(users()) == 1


def test_unknown_role_is_refused(app):
    result = create_user(app, role="emperor")
    assert result.exit_code != 0
    assert users() == []


def test_the_command_line_speaks_the_deployments_default_language(app):
    app.config["BABEL_DEFAULT_LOCALE"] = "ru"  # what DEFAULT_LANGUAGE=ru sets
    result = create_user(app, email="ru@example.org", role="member")
    assert result.exit_code == 0, result.output
    assert "Создана учётная запись ru@example.org" in result.output


def test_create_user_writes_the_audit_row_an_administrator_would(app):
    """Through coordapp.admin.service: the same audit row as the admin page, by nobody
    (the system), noting the command line."""
    from coordapp.models import AuditEvent

    assert create_user(app).exit_code == 0
    [user] = users()
    [event] = db.session.scalars(sa.select(AuditEvent)).all()
    assert (event.action, event.object_id, event.user_id) == ("admin.user_create", user.id, None)
    assert event.note == "flask create-user"
    assert event.changes["role"] == [None, "secretariat"]


@pytest.mark.parametrize("password", ["", "123456789", "x" * 1001])
def test_create_user_refuses_what_the_web_form_refuses(app, admin_client, password):
    """The one password rule: a password the admin page refuses, the command refuses."""
    page = admin_client.post(
        "/admin/users/new",
        data={"email": "web@example.org", "name": "W", "role": "member", "password": password},
    )
    assert page.status_code == 200 and "web@example.org" not in {u.email for u in users()}
    result = create_user(app, password=password)
    assert result.exit_code != 0
    assert "characters" in result.output
    assert [u.email for u in users()] == [admin_client.user.email]
