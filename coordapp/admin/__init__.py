from coordapp.admin.routes import bp  # noqa: F401
