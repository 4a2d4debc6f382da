"""Account administration: only administrators, every change audited."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from coordapp.extensions import db
from coordapp.models import AuditEvent, Role, User
from tests.conftest import count_queries
from tests.factories import make_user


def user_by_email(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == email))


def audit_events(action: str) -> list[AuditEvent]:
    return db.session.scalars(sa.select(AuditEvent).filter_by(action=action)).all()


def new_user_form(**overrides) -> dict:
    data = {
        "email": "New.Person@Example.org",
        "name": "New Person",
        "role": "secretariat",
        "password": "initial password 1",
    }
    data.update(overrides)
    return data


def test_admin_sees_the_user_list(admin_client):
    make_user(email="someone@example.org", name="Some One")
    response = admin_client.get("/admin/users")
    assert response.status_code == 200
    assert b"someone@example.org" in response.data and b"Ada Admin" in response.data


def test_user_list_query_count_does_not_grow_with_users(admin_client):
    db.session.expire_all()  # start both counts from the same state of the session
    with count_queries() as few:
        assert admin_client.get("/admin/users").status_code == 200
    for _ in range(6):
        make_user(role=Role.SECRETARIAT)
    db.session.expire_all()
    with count_queries() as many:
        assert admin_client.get("/admin/users").status_code == 200
    assert many.count == few.count


def test_admin_creates_a_user_with_lowercased_email(app, admin_client):
    response = admin_client.post("/admin/users/new", data=new_user_form())
    assert response.status_code == 302
    user = user_by_email("new.person@example.org")
    assert user.name == "New Person" and user.role is Role.SECRETARIAT and user.active
    assert user.check_password("initial password 1")
    [event] = audit_events("admin.user_create")
    assert event.object_id == user.id and event.user_id == admin_client.user.id
    assert event.changes["email"] == [None, "new.person@example.org"]
    assert event.changes["role"] == [None, "secretariat"]

    fresh = app.test_client()
    response = fresh.post(
        "/login", data={"email": "NEW.person@example.org", "password": "initial password 1"}
    )
    assert response.status_code == 302


def test_duplicate_email_is_a_form_error(admin_client):
    make_user(email="new.person@example.org")
    response = admin_client.post("/admin/users/new", data=new_user_form())
    assert response.status_code == 200
    assert b"An account with this email already exists" in response.data
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 2


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"email": "not an email"}, b"Enter a valid email address"),
        ({"password": "short"}, b"at least 10 characters"),
        ({"role": "emperor"}, b"Not a valid choice"),
    ],
)
def test_invalid_new_user_is_refused_with_a_message(admin_client, overrides, message):
    response = admin_client.post("/admin/users/new", data=new_user_form(**overrides))
    assert response.status_code == 200
    assert message in response.data
    assert user_by_email("new.person@example.org") is None


def test_admin_changes_name_and_role(admin_client):
    user = make_user(email="someone@example.org", name="Some One", role=Role.MEMBER)
    page = admin_client.get(f"/admin/users/{user.id}/edit")
    assert page.status_code == 200 and b"Some One" in page.data
    response = admin_client.post(
        f"/admin/users/{user.id}/edit", data={"name": "Some Body", "role": "secretariat"}
    )
    assert response.status_code == 302
    db.session.refresh(user)
    assert user.name == "Some Body" and user.role is Role.SECRETARIAT
    [event] = audit_events("admin.user_update")
    assert event.changes == {"name": ["Some One", "Some Body"], "role": ["member", "secretariat"]}


def test_admin_cannot_demote_themselves(admin_client):
    admin = admin_client.user
    response = admin_client.post(
        f"/admin/users/{admin.id}/edit", data={"name": "Ada Admin", "role": "member"}
    )
    assert response.status_code == 400
    assert b"You cannot remove your own administrator role" in response.data
    db.session.refresh(admin)
    assert admin.role is Role.ADMIN
    assert audit_events("admin.user_update") == []


def test_editing_a_missing_user_is_404(admin_client):
    assert admin_client.get("/admin/users/999999/edit").status_code == 404


def test_deactivate_and_reactivate_a_user(app, admin_client):
    user = make_user(email="someone@example.org")
    other = app.test_client()
    other.post("/login", data={"email": "someone@example.org", "password": "correct horse battery"})

    response = admin_client.post(f"/admin/users/{user.id}/deactivate", follow_redirects=True)
    assert response.status_code == 200
    assert b"can no longer log in" in response.data
    db.session.refresh(user)
    assert user.active is False
    assert user_by_email("someone@example.org") is not None  # nothing deleted
    assert other.get("/account/password").status_code == 302
    [event] = audit_events("admin.user_deactivate")
    assert event.changes == {"active": [True, False]}

    admin_client.post(f"/admin/users/{user.id}/reactivate")
    db.session.refresh(user)
    assert user.active is True
    [event] = audit_events("admin.user_reactivate")
    assert event.changes == {"active": [False, True]}


def test_admin_cannot_deactivate_themselves(admin_client):
    admin = admin_client.user
    response = admin_client.post(f"/admin/users/{admin.id}/deactivate", follow_redirects=True)
    assert response.status_code == 200
    assert b"You cannot deactivate your own account" in response.data
    db.session.refresh(admin)
    assert admin.active is True
    assert audit_events("admin.user_deactivate") == []


def test_deactivate_requires_post(admin_client):
    user = make_user()
    assert admin_client.get(f"/admin/users/{user.id}/deactivate").status_code == 405


@pytest.mark.parametrize("who", ["member_client", "secretariat_client"])
def test_non_admins_get_403(request, who):
    client = request.getfixturevalue(who)
    user = make_user(email="someone@example.org")
    assert client.get("/admin/users").status_code == 403
    assert client.get("/admin/users/new").status_code == 403
    assert client.post("/admin/users/new", data=new_user_form()).status_code == 403
    assert (
        client.post(f"/admin/users/{user.id}/edit", data={"name": "X", "role": "admin"}).status_code
        == 403
    )
    assert client.post(f"/admin/users/{user.id}/deactivate").status_code == 403
    assert user_by_email("new.person@example.org") is None
    db.session.refresh(user)
    assert user.active and user.role is Role.MEMBER


def test_anonymous_is_sent_to_login(client):
    response = client.get("/admin/users")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_admin_links_an_account_to_its_directory_contact(admin_client):
    from tests.factories import make_contact, make_organisation

    user = make_user(email="rc@un.example", name="Rita Coordinator", role=Role.MEMBER)
    contact = make_contact(make_organisation("UNDP", "UNDP"), "Rita Coordinator", "rita@undp.org")
    page = admin_client.get(f"/admin/users/{user.id}/edit").get_data(as_text=True)
    assert "Directory contact" in page and "Rita Coordinator — rita@undp.org" in page

    response = admin_client.post(
        f"/admin/users/{user.id}/edit",
        data={"name": "Rita Coordinator", "role": "member", "contact_id": str(contact.id)},
    )
    assert response.status_code == 302
    db.session.refresh(user)
    assert user.contact_id == contact.id
    [event] = audit_events("admin.user_update")
    assert event.changes == {"contact_id": [None, contact.id]}
