"""Forms of the public summary."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, HiddenField, StringField, TextAreaField

from coordapp.inputs import SelectField


class StartForm(FlaskForm):
    language = SelectField(_l("Language of the summary"), validate_choice=False)
    name_chairs = BooleanField(_l("Name the co-chairs"))
    name_organisations = BooleanField(_l("Name the organisations that took part"))


class EditForm(FlaskForm):
    lock_version = HiddenField()
    title = StringField(_l("Title"))
    language = SelectField(_l("Language of the summary"), validate_choice=False)
    body = TextAreaField(_l("Summary"), render_kw={"rows": 20})
    photo = FileField(_l("Photo (JPEG, PNG or WebP)"))
    photo_alt = StringField(_l("Text alternative of the photo"))
    remove_photo = BooleanField(_l("Remove the photo"))
