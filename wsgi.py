"""Entry point for gunicorn: `gunicorn wsgi:app`."""

from coordapp import create_app, serving

app = serving(create_app())
