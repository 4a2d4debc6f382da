"""STUB — to be replaced by the auth/admin helper."""
from flask import Blueprint

from coordapp.access import admin_required

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.get("/users")
@admin_required
def users():
    return "users"
