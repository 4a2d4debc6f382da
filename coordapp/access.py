"""Who may use which route.

Every view declares its access level with one of the decorators below; `create_app`
refuses to start if a route has none, and a test walks the URL map to check each
level is enforced. Finer rules about a particular object ("may this user edit these
minutes?") live in named `can_...` functions next to the capability that owns them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from flask import Flask, abort
from flask_login import current_user

from coordapp.extensions import login_manager
from coordapp.models import Role

PUBLIC = "public"
LOGGED_IN = "logged_in"
SECRETARIAT = "secretariat"
ADMIN = "admin"

LEVEL_ROLE = {LOGGED_IN: Role.MEMBER, SECRETARIAT: Role.SECRETARIAT, ADMIN: Role.ADMIN}


def _declare(level: str) -> Callable:
    def decorator(view: Callable) -> Callable:
        if level == PUBLIC:
            view.access_level = PUBLIC  # type: ignore[attr-defined]
            return view

        @functools.wraps(view)
        def guarded(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not current_user.has_role(LEVEL_ROLE[level]):
                abort(403)
            return view(*args, **kwargs)

        guarded.access_level = level  # type: ignore[attr-defined]
        return guarded

    return decorator


public = _declare(PUBLIC)
login_required = _declare(LOGGED_IN)
secretariat_required = _declare(SECRETARIAT)
admin_required = _declare(ADMIN)


def check_every_route_declares_access(app: Flask) -> None:
    missing = [
        endpoint
        for endpoint, view in app.view_functions.items()
        if endpoint != "static" and not hasattr(view, "access_level")
    ]
    if missing:
        raise RuntimeError(f"routes without an access declaration: {sorted(missing)}")


def access_level_of(app: Flask, endpoint: str) -> str:
    if endpoint == "static":
        return PUBLIC
    return app.view_functions[endpoint].access_level
