"""Logging in and out, changing one's own password and interface language."""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import refresh
from flask_login import current_user, login_user, logout_user

from coordapp.access import login_required, public
from coordapp.auth import service, sessions
from coordapp.auth.forms import (
    AS_THE_BROWSER_ASKS,
    ChangePasswordForm,
    LanguageMenuForm,
    LanguageSettingsForm,
    LoginForm,
)
from coordapp.auth.service import LoginOutcome
from coordapp.extensions import db
from coordapp.i18n import note_user_language
from coordapp.links import safe_next_url

bp = Blueprint("auth", __name__)


def _after_login_url() -> str:
    return safe_next_url(request.args.get("next")) or url_for("meetings.index")


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    if current_user.is_authenticated:
        return redirect(_after_login_url())
    form = LoginForm()
    if form.validate_on_submit():
        result = service.attempt_login(form.email.data, form.password.data, request.remote_addr)
        if result.outcome is LoginOutcome.THROTTLED:
            minutes = max(1, current_app.config["LOGIN_FAILURE_WINDOW_SECONDS"] // 60)
            message = _(
                "Too many failed login attempts. For your security, logging in is paused; "
                "please wait %(minutes)d minutes and try again.",
                minutes=minutes,
            )
            return render_template("auth/login.html", form=form, error=message), 429
        if result.outcome is LoginOutcome.OK:
            # A new session: nothing from before the login (its CSRF token) carries over,
            # but the language the visitor chose in the header.
            _clear_session_keeping_language()
            sessions.start_session(result.user)
            db.session.commit()
            login_user(result.user, remember=form.remember.data)
            return redirect(_after_login_url())
        error = _("The email or password is not correct, or the account is not active.")
        return render_template("auth/login.html", form=form, error=error)
    return render_template("auth/login.html", form=form, error=None)


def _clear_session_keeping_language() -> None:
    language = session.get("language")
    session.clear()
    if language:
        session["language"] = language


@bp.post("/logout")
@login_required
def logout():
    sessions.end_session(current_user.login_token)
    db.session.commit()
    logout_user()
    _clear_session_keeping_language()
    flash(_("You are logged out."), "success")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        if not user.check_password(form.current_password.data):
            form.current_password.errors.append(_("Your current password is not correct."))
        else:
            had_remember_cookie = (
                current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies
            )
            service.change_password(user, form.new_password.data)
            # Every session and "remember me" cookie has ended; this device carries on
            # in a new one.
            sessions.start_session(user)
            db.session.commit()
            login_user(user, remember=had_remember_cookie)
            flash(
                _("Your password has been changed. Other sessions have been logged out."), "success"
            )
            return redirect(url_for("auth.change_password"))
    return render_template("auth/change_password.html", form=form)


@bp.route("/account/language", methods=["GET", "POST"])
@login_required
def language_settings():
    user = current_user._get_current_object()
    form = LanguageSettingsForm()
    if request.method == "GET":
        form.language.data = user.language or AS_THE_BROWSER_ASKS
    if form.validate_on_submit():
        service.set_language(user, form.language.data or None)
        db.session.commit()
        note_user_language(form.language.data or None)
        refresh()  # the confirmation speaks the language just chosen
        flash(_("Your language settings are saved."), "success")
        return redirect(url_for("auth.language_settings"))
    return render_template("auth/language.html", form=form)


@bp.post("/language")
@public
def choose_language():
    """The header's language menu: a user's choice is saved in their settings, a
    visitor's in their session."""
    form = LanguageMenuForm()
    target = safe_next_url(form.next.data) or url_for("meetings.index")
    if not form.validate_on_submit():
        return redirect(target, code=303)
    if current_user.is_authenticated:
        service.set_language(current_user._get_current_object(), form.language.data)
        db.session.commit()
    else:
        session["language"] = form.language.data
    return redirect(target, code=303)
