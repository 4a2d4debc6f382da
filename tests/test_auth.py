"""Logging in and out, throttling, password changes and session cookies."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from coordapp import create_app
from coordapp.config import INSECURE_DEFAULT_KEY
from coordapp.extensions import db
from coordapp.models import AuditEvent, LoginAttempt, Role, User, utcnow
from tests.conftest import login_as, test_config
from tests.factories import PASSWORD, make_user

NEW_PASSWORD = "a brand new passphrase"


def log_in(client, email, password=PASSWORD, remember=False, next=None, ip="127.0.0.1"):
    data = {"email": email, "password": password}
    if remember:
        data["remember"] = "y"
    url = "/login" + (f"?next={next}" if next else "")
    return client.post(url, data=data, environ_base={"REMOTE_ADDR": ip})


def is_logged_in(client) -> bool:
    response = client.get("/account/password")
    return response.status_code == 200


def test_login_page_renders(client):
    response = client.get("/login")
    assert response.status_code == 200
    assert b'name="email"' in response.data and b'name="remember"' in response.data


def test_user_logs_in_and_lands_on_meetings(client):
    make_user(email="chair@example.org")
    response = log_in(client, "chair@example.org")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert is_logged_in(client)


def test_email_is_case_insensitive(client):
    make_user(email="chair@example.org")
    response = log_in(client, "  Chair@Example.ORG ")
    assert response.status_code == 302
    assert is_logged_in(client)


def test_wrong_password_shows_generic_message_and_keeps_email(client):
    make_user(email="chair@example.org")
    response = log_in(client, "chair@example.org", password="wrong password")
    assert response.status_code == 200
    assert b"The email or password is not correct" in response.data
    assert b'value="chair@example.org"' in response.data
    assert not is_logged_in(client)


def test_unknown_email_gets_the_same_message(client):
    response = log_in(client, "nobody@example.org")
    assert response.status_code == 200
    assert b"The email or password is not correct" in response.data


def test_every_attempt_is_recorded_with_normalised_email(client):
    make_user(email="chair@example.org")
    log_in(client, "CHAIR@example.org", password="wrong password", ip="10.0.0.7")
    log_in(client, "chair@example.org")
    attempts = db.session.scalars(sa.select(LoginAttempt).order_by(LoginAttempt.id)).all()
    assert [(a.email, a.ip, a.succeeded) for a in attempts] == [
        ("chair@example.org", "10.0.0.7", False),
        ("chair@example.org", "127.0.0.1", True),
    ]


def test_remember_me_sets_the_remember_cookie(client):
    make_user(email="chair@example.org")
    log_in(client, "chair@example.org", remember=True)
    cookie = client.get_cookie("remember_token")
    assert cookie is not None and cookie.http_only


def test_without_remember_me_there_is_no_remember_cookie(client):
    make_user(email="chair@example.org")
    log_in(client, "chair@example.org")
    assert client.get_cookie("remember_token") is None


def test_deactivated_user_cannot_log_in(client):
    make_user(email="gone@example.org", active=False)
    response = log_in(client, "gone@example.org")
    assert response.status_code == 200
    assert b"The email or password is not correct" in response.data
    assert not is_logged_in(client)


def test_session_of_a_user_who_gets_deactivated_stops_working(client):
    user = make_user(email="chair@example.org")
    log_in(client, "chair@example.org")
    assert is_logged_in(client)
    user.active = False
    db.session.commit()
    response = client.get("/account/password")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_account_is_throttled_after_five_failures_even_with_the_right_password(client):
    make_user(email="chair@example.org")
    for _ in range(5):
        assert log_in(client, "chair@example.org", password="wrong password").status_code == 200
    response = log_in(client, "chair@example.org", password="wrong password")
    assert response.status_code == 429
    assert b"Too many failed login attempts" in response.data
    response = log_in(client, "Chair@example.org")
    assert response.status_code == 429
    assert not is_logged_in(client)


def test_five_wrong_passwords_from_one_address_do_not_keep_the_owner_out(client):
    make_user(email="secretariat@example.org")
    for _ in range(5):
        log_in(client, "secretariat@example.org", password="wrong password", ip="203.0.113.66")
    attacker = log_in(client, "secretariat@example.org", ip="203.0.113.66")
    assert attacker.status_code == 429
    # The owner, from their own address, with the right password: in.
    owner = log_in(client, "secretariat@example.org", ip="198.51.100.7")
    assert owner.status_code == 302
    assert is_logged_in(client)


def test_an_account_has_a_ceiling_across_addresses_too(app, client):
    make_user(email="secretariat@example.org")
    ceiling = app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]
    assert ceiling >= 50  # much higher than from one address
    for n in range(ceiling):
        ip = f"10.{n // 250}.{n % 250}.1"
        log_in(client, "secretariat@example.org", password="wrong password", ip=ip)
    assert log_in(client, "secretariat@example.org", ip="198.51.100.7").status_code == 429


def test_throttling_an_account_does_not_lock_out_other_accounts(client):
    make_user(email="chair@example.org")
    make_user(email="other@example.org")
    for _ in range(5):
        log_in(client, "chair@example.org", password="wrong password")
    assert log_in(client, "other@example.org").status_code == 302


def test_failures_older_than_the_window_do_not_count(client):
    make_user(email="chair@example.org")
    long_ago = utcnow() - timedelta(seconds=901)
    db.session.add_all(
        LoginAttempt(email="chair@example.org", ip="127.0.0.1", at=long_ago) for _ in range(10)
    )
    db.session.commit()
    assert log_in(client, "chair@example.org").status_code == 302


def test_ip_is_throttled_after_twenty_failures_across_emails(client):
    make_user(email="chair@example.org")
    for n in range(20):
        log_in(client, f"guess{n}@example.org", password="wrong password", ip="203.0.113.9")
    response = log_in(client, "chair@example.org", ip="203.0.113.9")
    assert response.status_code == 429
    assert b"Too many failed login attempts" in response.data
    # The same account from another address is not affected.
    assert log_in(client, "chair@example.org", ip="198.51.100.1").status_code == 302


@pytest.mark.parametrize("target", ["/directory/contacts", "/account/password?x=1"])
def test_login_redirects_to_a_safe_next_page(client, target):
    make_user(email="chair@example.org")
    response = log_in(client, "chair@example.org", next=target)
    assert response.status_code == 302
    assert response.headers["Location"] == target


@pytest.mark.parametrize(
    "target",
    [
        "http://evil.example/",
        "//evil.example/",
        "/\\evil.example",
        "https:evil.example",
        "javascript:alert(1)",
    ],
)
def test_login_never_redirects_off_site(client, target):
    make_user(email="chair@example.org")
    response = client.post(
        "/login",
        query_string={"next": target},
        data={"email": "chair@example.org", "password": PASSWORD},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_login_page_when_already_logged_in_goes_on(client):
    user = make_user(email="chair@example.org")
    login_as(client, user)
    response = client.get("/login")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_logout_requires_post(client):
    make_user(email="chair@example.org")
    log_in(client, "chair@example.org")
    assert client.get("/logout").status_code == 405
    assert is_logged_in(client)
    response = client.post("/logout")
    assert response.status_code == 302
    assert not is_logged_in(client)


def change_password(client, current=PASSWORD, new=NEW_PASSWORD, confirm=None):
    return client.post(
        "/account/password",
        data={
            "current_password": current,
            "new_password": new,
            "confirm_password": new if confirm is None else confirm,
        },
    )


def test_change_password_keeps_this_session_and_replaces_the_old_password(app, client):
    user = make_user(email="chair@example.org")
    log_in(client, "chair@example.org")
    response = change_password(client)
    assert response.status_code == 302
    assert is_logged_in(client)

    fresh = app.test_client()
    assert log_in(fresh, "chair@example.org").status_code == 200
    assert log_in(fresh, "chair@example.org", password=NEW_PASSWORD).status_code == 302
    event = db.session.scalar(sa.select(AuditEvent).filter_by(action="auth.password_change"))
    assert event.object_id == user.id and event.user_id == user.id


def test_change_password_logs_out_other_sessions_and_remember_cookies(app, client):
    make_user(email="chair@example.org")
    other = app.test_client()
    log_in(other, "chair@example.org", remember=True)
    remembered = app.test_client()
    log_in(remembered, "chair@example.org", remember=True)
    remembered.delete_cookie("session")
    assert is_logged_in(other) and is_logged_in(remembered)

    log_in(client, "chair@example.org")
    assert change_password(client).status_code == 302

    assert not is_logged_in(other)
    remembered.delete_cookie("session")
    assert not is_logged_in(remembered)
    assert is_logged_in(client)


def test_change_password_keeps_remember_me_of_this_device(client):
    make_user(email="chair@example.org")
    log_in(client, "chair@example.org", remember=True)
    assert change_password(client).status_code == 302
    client.delete_cookie("session")
    assert is_logged_in(client)


def test_change_password_refuses_a_wrong_current_password(client):
    user = make_user(email="chair@example.org")
    log_in(client, "chair@example.org")
    response = change_password(client, current="not my password")
    assert response.status_code == 200
    assert b"Your current password is not correct" in response.data
    assert user.check_password(PASSWORD)


@pytest.mark.parametrize(
    ("new", "confirm", "message"),
    [
        ("short", "short", b"at least 10 characters"),
        (NEW_PASSWORD, "something else entirely", b"do not match"),
    ],
)
def test_change_password_validates_the_new_password(client, new, confirm, message):
    user = make_user(email="chair@example.org")
    log_in(client, "chair@example.org")
    response = change_password(client, new=new, confirm=confirm)
    assert response.status_code == 200
    assert message in response.data
    assert user.check_password(PASSWORD)


def _set_cookie_header(response, name):
    return next(h for h in response.headers.getlist("Set-Cookie") if h.startswith(name + "="))


def test_session_cookie_is_httponly_and_samesite_lax(client):
    make_user(email="chair@example.org")
    header = _set_cookie_header(log_in(client, "chair@example.org", remember=True), "session")
    assert "HttpOnly" in header and "SameSite=Lax" in header
    assert "Secure" not in header


def test_cookies_are_secure_in_production(app, monkeypatch):
    monkeypatch.setenv("COORDAPP_ENV", "production")
    monkeypatch.delenv("SESSION_COOKIE_SECURE", raising=False)
    production_app = create_app(test_config())
    assert production_app.config["ENV_NAME"] == "production"
    make_user(email="chair@example.org")
    response = log_in(production_app.test_client(), "chair@example.org", remember=True)
    for name in ("session", "remember_token"):
        header = _set_cookie_header(response, name)
        assert "Secure" in header and "HttpOnly" in header and "SameSite=Lax" in header
    with production_app.app_context():
        db.engine.dispose()


def test_production_refuses_the_insecure_default_secret_key():
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(test_config(ENV_NAME="production", SECRET_KEY=INSECURE_DEFAULT_KEY))
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(test_config(ENV_NAME="production", SECRET_KEY="too-short"))


def test_member_role_is_enough_to_change_password(client):
    make_user(email="chair@example.org", role=Role.MEMBER)
    log_in(client, "chair@example.org")
    assert change_password(client).status_code == 302
    assert db.session.scalar(sa.select(User).filter_by(email="chair@example.org")).check_password(
        NEW_PASSWORD
    )


# --- login sessions end on the server ------------------------------------------------------


def copy_of(client, app, *names):
    """Another browser holding copies of `client`'s cookies `names`."""
    thief = app.test_client()
    for name in names:
        thief.set_cookie(name, client.get_cookie(name).value)
    return thief


def test_a_copied_session_cookie_stops_working_after_logout(app, client):
    make_user(email="chair@example.org")
    log_in(client, "chair@example.org")
    copy = copy_of(client, app, "session")
    assert is_logged_in(copy)

    client.post("/logout")
    assert not is_logged_in(client)
    assert not is_logged_in(copy)


def test_a_remember_cookie_stops_working_after_logout(app, client):
    make_user(email="chair@example.org")
    log_in(client, "chair@example.org", remember=True)
    copy = copy_of(client, app, "remember_token")
    assert is_logged_in(copy)

    client.post("/logout")
    assert not is_logged_in(copy_of(copy, app, "remember_token"))


def test_a_remember_cookie_stops_working_after_a_password_change(app, client):
    make_user(email="chair@example.org")
    log_in(client, "chair@example.org", remember=True)
    old_cookie = client.get_cookie("remember_token").value

    assert change_password(client).status_code == 302
    assert client.get_cookie("remember_token").value != old_cookie
    thief = app.test_client()
    thief.set_cookie("remember_token", old_cookie)
    assert not is_logged_in(thief)


def test_the_remember_cookie_differs_per_login(app, client):
    make_user(email="chair@example.org")
    other = app.test_client()
    log_in(client, "chair@example.org", remember=True)
    log_in(other, "chair@example.org", remember=True)
    assert client.get_cookie("remember_token").value != other.get_cookie("remember_token").value
    assert client.get_cookie("remember_token").expires < utcnow() + timedelta(days=31)


def test_logging_out_on_one_device_keeps_the_others(app, client):
    make_user(email="chair@example.org")
    other = app.test_client()
    log_in(client, "chair@example.org")
    log_in(other, "chair@example.org")
    client.post("/logout")
    assert is_logged_in(other)


def test_reactivating_an_account_does_not_revive_its_old_sessions(app, client):
    user = make_user(email="chair@example.org")
    log_in(client, "chair@example.org", remember=True)
    remembered = copy_of(client, app, "remember_token")
    admin = app.test_client()
    login_as(admin, make_user(role=Role.ADMIN, email="admin@example.org"))

    assert admin.post(f"/admin/users/{user.id}/deactivate").status_code == 302
    assert not is_logged_in(client)
    assert admin.post(f"/admin/users/{user.id}/reactivate").status_code == 302
    assert db.session.get(User, user.id).active

    assert not is_logged_in(client)
    assert not is_logged_in(remembered)
    fresh = app.test_client()
    assert log_in(fresh, "chair@example.org").status_code == 302  # a new login works


def _csrf_token(response) -> str:
    import re

    return re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', response.data)[1].decode()


def test_the_pre_login_csrf_token_is_refused_after_login(app, client):
    app.config["WTF_CSRF_ENABLED"] = True
    make_user(email="chair@example.org")
    before_login = _csrf_token(client.get("/login"))
    response = client.post(
        "/login",
        data={"email": "chair@example.org", "password": PASSWORD, "csrf_token": before_login},
    )
    assert response.status_code == 302

    refused = client.post("/logout", data={"csrf_token": before_login})
    assert refused.status_code == 400
    assert is_logged_in(client)

    page = client.get("/account/password")
    after_login = _csrf_token(page)
    assert after_login != before_login
    assert client.post("/logout", data={"csrf_token": after_login}).status_code == 302
    assert not is_logged_in(client)
