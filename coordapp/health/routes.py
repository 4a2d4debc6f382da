"""Liveness for load balancers: 200 when the database answers, 503 when not. And the
site's icon, which browsers ask for at /favicon.ico whatever the page says."""

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from coordapp.access import public
from coordapp.extensions import db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@public
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except Exception as error:  # noqa: BLE001 - any failure means "not ready"
        db.session.rollback()
        return jsonify(status="unavailable", database=type(error).__name__), 503
    return jsonify(status="ok", database="ok"), 200


@bp.get("/favicon.ico")
@public
def favicon():
    return current_app.send_static_file("icons/favicon.ico")
