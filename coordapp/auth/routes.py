"""STUB — to be replaced by the auth helper."""
from flask import Blueprint

from coordapp.access import login_required, public

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    return "login"


@bp.post("/logout")
@login_required
def logout():
    return "logout"


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    return "password"
