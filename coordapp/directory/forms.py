"""Forms of the stakeholder directory."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    Form,
    SearchField,
    SelectChoice,
    StringField,
    SubmitField,
)
from wtforms.fields import EmailField, TelField
from wtforms.validators import DataRequired, Email, Length, Optional

from coordapp.directory.service import LANGUAGE_NAMES
from coordapp.inputs import SelectField, bounded_int
from coordapp.models import CATEGORY_LABELS


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def choices(pairs) -> list[SelectChoice]:
    """Select options from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


CATEGORY_PAIRS = [(category.value, label) for category, label in CATEGORY_LABELS.items()]


class DirectoryFilterForm(Form):
    """The search box above a list; read from the query string, so no CSRF token."""

    q = SearchField(_l("Search"), filters=[_strip], validators=[Length(max=200)])
    # default "": a plain visit (no query string) has chosen "all", not an invalid value
    category = SelectField(
        _l("Category"),
        choices=choices([("", _l("All categories")), *CATEGORY_PAIRS]),
        default="",
    )
    inactive = BooleanField(_l("Show inactive"))


class OrganisationForm(FlaskForm):
    name = StringField(
        lazy_pgettext("organisation", "Name"),
        filters=[_strip],
        validators=[DataRequired(), Length(max=300)],
    )
    acronym = StringField(_l("Acronym"), filters=[_strip], validators=[Optional(), Length(max=50)])
    category = SelectField(
        _l("Category"), choices=choices(CATEGORY_PAIRS), validators=[DataRequired()]
    )
    # 0 means "none"; the real choices are filled in by the view.
    parent_id = SelectField(_l("Parent organisation"), coerce=bounded_int, choices=[], default=0)
    submit = SubmitField(_l("Save"))


class ContactForm(FlaskForm):
    name = StringField(
        lazy_pgettext("person", "Name"),
        filters=[_strip],
        validators=[DataRequired(), Length(max=200)],
    )
    position = StringField(
        _l("Position"), filters=[_strip], validators=[Optional(), Length(max=200)]
    )
    email = EmailField(
        _l("Email"),
        filters=[_strip],
        validators=[
            DataRequired(),
            Email(message=_l("Enter a valid email address.")),
            Length(max=254),
        ],
    )
    phone = TelField(_l("Phone"), filters=[_strip], validators=[Optional(), Length(max=50)])
    language = SelectField(
        _l("Preferred language"), choices=choices(LANGUAGE_NAMES.items()), default="en"
    )
    organisation_id = SelectField(
        _l("Organisation"),
        coerce=bounded_int,
        choices=[],
        validators=[DataRequired(_l("Choose an organisation."))],
    )
    submit = SubmitField(_l("Save"))


class ImportForm(FlaskForm):
    file = FileField(_l("CSV file"), validators=[FileRequired(_l("Choose a CSV file to upload."))])
    submit = SubmitField(_l("Upload and preview"))
