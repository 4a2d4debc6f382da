"""Forms of the meeting day. The per-person fields of the attendance sheet are named by
invitation id (`attendance-<id>`, `represents-<id>`), so the sheet form only carries the
CSRF token and the service reads those fields itself."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.fields import EmailField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, Optional

from coordapp.inputs import SelectField, bounded_int
from coordapp.models import CATEGORY_LABELS

NEW_ORGANISATION = 0


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class AttendanceSheetForm(FlaskForm):
    """The whole sheet, or one row of it when saved by a click (see attendance.js)."""


class MarkHeldForm(FlaskForm):
    """The "mark the meeting held" button: only the CSRF token."""


class WalkInForm(FlaskForm):
    name = StringField(
        lazy_pgettext("person", "Name"),
        filters=[_strip],
        validators=[DataRequired(), Length(max=200)],
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
    position = StringField(
        _l("Position"), filters=[_strip], validators=[Optional(), Length(max=200)]
    )
    # NEW_ORGANISATION means "not in the list": the two fields below describe it.
    organisation_id = SelectField(
        _l("Organisation"), coerce=bounded_int, choices=[], default=NEW_ORGANISATION
    )
    new_organisation_name = StringField(
        _l("New organisation"), filters=[_strip], validators=[Optional(), Length(max=300)]
    )
    new_organisation_category = SelectField(
        _l("Category of the new organisation"),
        choices=[SelectChoice("", _l("— choose —"))]
        + [SelectChoice(category.value, label) for category, label in CATEGORY_LABELS.items()],
        default="",
    )

    def set_organisation_choices(self, organisations) -> None:
        self.organisation_id.choices = [
            SelectChoice(NEW_ORGANISATION, _l("— not in the list (type it below) —"))
        ] + [SelectChoice(o.id, o.display_name) for o in organisations]
