from coordapp.directory.routes import bp  # noqa: F401
