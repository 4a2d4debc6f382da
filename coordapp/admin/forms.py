"""Forms for managing user accounts."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, Length

from coordapp.auth.service import (
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    PASSWORD_TOO_LONG,
    PASSWORD_TOO_SHORT,
)
from coordapp.inputs import SelectField, bounded_int
from coordapp.models import Role


class UserEditForm(FlaskForm):
    name = StringField(
        lazy_pgettext("person", "Name"), validators=[DataRequired(), Length(max=200)]
    )
    role = SelectField(_l("Role"), validators=[DataRequired()])
    # 0 means "none"; the choices (active contacts) are filled in by the view.
    contact_id = SelectField(
        _l("Directory contact"), coerce=bounded_int, choices=[], default=0, validate_choice=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = [(role.value, role.label) for role in Role]


class UserCreateForm(UserEditForm):
    contact_id = None  # linked afterwards, from the account's page
    email = EmailField(
        _l("Email"),
        validators=[
            DataRequired(),
            Length(max=254),
            Email(message=_l("Enter a valid email address.")),
        ],
    )
    password = PasswordField(
        _l("Initial password"),
        validators=[
            DataRequired(),
            Length(min=MIN_PASSWORD_LENGTH, message=PASSWORD_TOO_SHORT),
            Length(max=MAX_PASSWORD_LENGTH, message=PASSWORD_TOO_LONG),
        ],
    )
