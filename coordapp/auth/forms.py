"""Forms for logging in and changing one's password."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, PasswordField
from wtforms.validators import AnyOf, DataRequired, EqualTo, Length

from coordapp.auth.service import (
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    PASSWORD_TOO_LONG,
    PASSWORD_TOO_SHORT,
)
from coordapp.i18n import language_menu, languages
from coordapp.inputs import SelectField

# "" in the settings form: no preference, the browser decides.
AS_THE_BROWSER_ASKS = ""


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
            Length(min=MIN_PASSWORD_LENGTH, message=PASSWORD_TOO_SHORT),
            Length(max=MAX_PASSWORD_LENGTH, message=PASSWORD_TOO_LONG),
        ],
    )
    confirm_password = PasswordField(
        _l("Repeat the new password"),
        validators=[
            DataRequired(),
            EqualTo("new_password", message=_l("The two new passwords do not match.")),
        ],
    )


class LanguageSettingsForm(FlaskForm):
    language = SelectField(_l("Language of the interface"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Each language by its own name, marked as written in it.
        self.language.choices = [(AS_THE_BROWSER_ASKS, _l("As my browser asks"))] + [
            (code, name, {"lang": code}) for code, name in language_menu()
        ]


class LanguageMenuForm(FlaskForm):
    """The header's language menu: one button per language."""

    language = HiddenField(validators=[DataRequired()])
    next = HiddenField()

    def validate_language(self, field) -> None:
        AnyOf(languages())(self, field)
