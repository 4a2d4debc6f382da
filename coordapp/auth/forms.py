"""Forms for logging in and changing one's password."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField
from wtforms.validators import DataRequired, EqualTo, Length

MIN_PASSWORD_LENGTH = 10


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=1000)])
    remember = BooleanField(_l("Keep me logged in on this device"))


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    new_password = PasswordField(
        _l("New password"),
        validators=[
            DataRequired(),
            Length(
                min=MIN_PASSWORD_LENGTH,
                max=1000,
                message=_l("The password must have at least %(min)d characters."),
            ),
        ],
    )
    confirm_password = PasswordField(
        _l("Repeat the new password"),
        validators=[
            DataRequired(),
            EqualTo("new_password", message=_l("The two new passwords do not match.")),
        ],
    )
