"""Forms of the report."""

from __future__ import annotations

from flask_wtf import FlaskForm


class ConfirmForm(FlaskForm):
    """The "Prepare the PDF" button: only the CSRF token (the period rides along)."""
