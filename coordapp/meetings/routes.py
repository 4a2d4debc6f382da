"""STUB — to be replaced by the meetings helper."""
from flask import Blueprint

from coordapp.access import login_required, secretariat_required

bp = Blueprint("meetings", __name__)


@bp.get("/")
@login_required
def index():
    return "meetings"


@bp.get("/series")
@secretariat_required
def series_list():
    return "series"
