"""STUB — to be replaced by the directory helper."""
from flask import Blueprint

from coordapp.access import secretariat_required

bp = Blueprint("directory", __name__, url_prefix="/directory")


@bp.get("/organisations")
@secretariat_required
def organisations():
    return "orgs"


@bp.get("/contacts")
@secretariat_required
def contacts():
    return "contacts"
