"""Account administration: list, create, edit, deactivate and reactivate users."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from coordapp.access import admin_required
from coordapp.admin import service
from coordapp.admin.forms import UserCreateForm, UserEditForm
from coordapp.extensions import db
from coordapp.inputs import bounded_int
from coordapp.models import Contact, Role, User

bp = Blueprint("admin", __name__, url_prefix="/admin")

DUPLICATE_EMAIL = _l("An account with this email already exists.")


def _get_user_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404, _("This user does not exist."))
    return user


def _admin() -> User:
    """The acting administrator (the account itself: services lock its row)."""
    return current_user._get_current_object()


@bp.get("/users")
@admin_required
def users():
    # Only columns of the users table are shown: one query for the page, one to count.
    query = sa.select(User).order_by(User.active.desc(), sa.func.lower(User.name), User.id)
    page = db.paginate(
        query,
        page=request.args.get("page", 1, type=bounded_int),
        per_page=current_app.config["PER_PAGE"],
        error_out=False,
    )
    return render_template("admin/users.html", page=page)


@bp.route("/users/new", methods=["GET", "POST"])
@admin_required
def create_user():
    form = UserCreateForm()
    if form.validate_on_submit():
        if service.email_taken(form.email.data):
            form.email.errors.append(DUPLICATE_EMAIL)
        else:
            user = service.create_user(
                form.email.data,
                form.name.data,
                Role(form.role.data),
                form.password.data,
                by=current_user,
            )
            try:
                db.session.commit()
            except IntegrityError:  # created by someone else a moment ago
                db.session.rollback()
                form.email.errors.append(DUPLICATE_EMAIL)
            else:
                flash(_("The account for %(email)s has been created.", email=user.email), "success")
                return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=None)


def _contact_choices(user: User) -> list[tuple[int, str]]:
    """Active contacts (and the one linked now), "Name — email"; 0 for none."""
    contacts = db.session.scalars(
        sa.select(Contact)
        .where(Contact.active.is_(True) | (Contact.id == (user.contact_id or 0)))
        .order_by(Contact.name, Contact.id)
    )
    return [(0, _("— none —"))] + [(c.id, f"{c.name} — {c.email}") for c in contacts]


@bp.route("/users/<id:user_id>/edit", methods=["GET", "POST"])
@admin_required
def edit_user(user_id: int):
    user = _get_user_or_404(user_id)
    form = UserEditForm(obj=user)
    if request.method == "GET":
        form.role.data = user.role.value
        form.contact_id.data = user.contact_id or 0
    form.contact_id.choices = _contact_choices(user)
    if form.validate_on_submit():
        try:
            changes = service.update_user(_admin(), user, form.name.data, Role(form.role.data))
            linked = "contact_id" in request.form and service.link_contact(
                current_user, user, db.session.get(Contact, form.contact_id.data or 0)
            )
        except service.AccountRuleError as error:
            db.session.rollback()
            form.role.errors.append(str(error))
        else:
            db.session.commit()
            if changes or linked:
                flash(_("The account of %(name)s has been updated.", name=user.name), "success")
            return redirect(url_for("admin.users"))
    code = 400 if request.method == "POST" else 200
    return render_template("admin/user_form.html", form=form, user=user), code


def _set_active(user_id: int, active: bool):
    user = _get_user_or_404(user_id)
    try:
        changed = service.set_active(_admin(), user, active)
    except service.AccountRuleError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("admin.users"))
    db.session.commit()
    if not changed:
        flash(_("Nothing to change."), "info")
    elif active:
        flash(_("%(name)s can log in again.", name=user.name), "success")
    else:
        flash(
            _("%(name)s can no longer log in. Nothing has been deleted.", name=user.name), "success"
        )
    return redirect(url_for("admin.users"))


@bp.post("/users/<id:user_id>/deactivate")
@admin_required
def deactivate_user(user_id: int):
    return _set_active(user_id, active=False)


@bp.post("/users/<id:user_id>/reactivate")
@admin_required
def reactivate_user(user_id: int):
    return _set_active(user_id, active=True)
