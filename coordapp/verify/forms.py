"""The upload form of the verification page."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired


class VerifyForm(FlaskForm):
    file = FileField(
        _l("Minutes PDF"),
        validators=[FileRequired(message=_l("Choose the PDF file to check."))],
        render_kw={"accept": "application/pdf,.pdf"},
    )
