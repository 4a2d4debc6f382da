"""coordapp: meetings of multi-stakeholder coordination networks, end to end."""

from __future__ import annotations

import gc
import os
import warnings
from pathlib import Path

from cryptography.utils import CryptographyDeprecationWarning
from dotenv import load_dotenv
from flask import Flask

from coordapp.config import VERSION as __version__  # noqa: F401  (the package's version)

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# pyHanko imports cryptography's DSA classes (it never signs with DSA; we use RSA), which
# warns on every start of every command. Exactly that warning from pyHanko, nothing else.
warnings.filterwarnings(
    "ignore",
    message="DSA is deprecated",
    category=CryptographyDeprecationWarning,
    module=r"pyhanko\.",
)


def create_app(config: dict | None = None) -> Flask:
    """Build an app. `config` overrides what the environment says (tests use it)."""
    from coordapp import (
        access,
        database,
        errors,
        feature,
        headers,
        i18n,
        inputs,
        redaction,
        richtext,
        timefmt,
        web,
    )
    from coordapp import config as app_config
    from coordapp.extensions import babel, csrf, db, login_manager, migrate

    # COORDAPP_DOTENV points at another file (tests use a throw-away one).
    load_dotenv(os.environ.get("COORDAPP_DOTENV") or PROJECT_ROOT / ".env")
    app = Flask(
        __name__,
        instance_path=str(PROJECT_ROOT / "instance"),
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    app.config.update(app_config.from_environment(app.instance_path))
    if config:
        app.config.update(config)
    app_config.check_production_ready(app.config)
    app_config.ensure_secret_key(app.config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    if app.config.get("TRUSTED_PROXIES"):
        # Behind a reverse proxy, take the client address from X-Forwarded-For (login
        # throttling per IP depends on it) and the scheme from X-Forwarded-Proto.
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    db.init_app(app)
    database.register(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    babel.init_app(
        app,
        locale_selector=i18n.select_locale,
        default_translation_directories=str(PROJECT_ROOT / "translations"),
    )
    i18n.check_catalogues(app, PROJECT_ROOT / "translations")
    login_manager.init_app(app)
    _configure_login(app)

    inputs.register_url_converters(app)
    # Every feature plugs in here (blueprints, email writers, audit labels…): one list.
    from coordapp.features import FEATURES

    feature.install(app, FEATURES)
    access.check_every_route_declares_access(app)

    errors.register(app)
    redaction.install_on_app(app)
    headers.register(app)
    inputs.register(app)
    web.register(app)
    timefmt.register(app)
    i18n.register(app)
    richtext.register(app)
    from coordapp import cli

    cli.register(app)

    from coordapp import jobs

    jobs.configure_queue(app)
    return app


def serving(app: Flask) -> Flask:
    """Call once a process has built the app it will serve from now on (wsgi.py, and the
    worker: coordapp/worker.py).

    What start-up built (modules, routes, compiled templates, translations…) lives as
    long as the process: frozen, it leaves the garbage collector's full passes, each of
    which otherwise stopped a gunicorn worker for 0.15-0.25 s within its first few
    hundred requests (measured with bench/rsvp_burst.py)."""
    gc.collect()
    gc.freeze()
    return app


def _configure_login(app: Flask) -> None:
    from flask import g
    from flask_babel import lazy_gettext as _l

    from coordapp import i18n
    from coordapp.auth import sessions
    from coordapp.extensions import login_manager

    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.login_message_category = "info"

    @login_manager.user_loader
    def load_user(login_token: str):
        # The "user id" in the session and remember cookies is a login session's token:
        # it stops working once the server ends that session (logout, password change…).
        if g.get("database_unavailable"):  # set by errors.database_unavailable
            return None
        user = sessions.user_for_token(login_token)
        if user is not None:
            i18n.note_user_language(user.language)
        return user
