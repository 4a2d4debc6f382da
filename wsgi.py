"""Entry point for gunicorn: `gunicorn wsgi:app`."""

from coordapp import create_app

app = create_app()
