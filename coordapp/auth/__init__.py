from coordapp.auth.routes import bp  # noqa: F401
