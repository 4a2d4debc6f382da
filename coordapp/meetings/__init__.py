from coordapp.meetings.routes import bp  # noqa: F401
