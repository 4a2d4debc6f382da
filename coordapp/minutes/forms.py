"""Forms for writing minutes. Each agenda item has its own small form, so that two
people can save different items at the same time; `lock_version` carries the state
the form was based on (the optimistic version check in service.py)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from coordapp.inputs import DateField, IntegerField
from coordapp.minutes import service


class MinutesItemForm(FlaskForm):
    text = TextAreaField(
        _l("Minutes"), validators=[Length(max=service.MAX_TEXT_LENGTH)], render_kw={"rows": 8}
    )
    decisions = TextAreaField(
        _l("Decisions"),
        description=_l("One decision per line, at most 500 characters each."),
        render_kw={"rows": 3},
    )
    lock_version = IntegerField(
        widget=HiddenField.widget,
        validators=[InputRequired(_l("The form is incomplete; please reload the page."))],
    )

    def validate_decisions(self, field) -> None:
        try:
            self.cleaned_decisions = service.clean_decisions(field.data)
        except service.InvalidMinutes as error:
            raise ValidationError(error.message) from None


class MeetingFieldsForm(FlaskForm):
    opening_summary = TextAreaField(
        _l("Opening summary"),
        validators=[Length(max=service.MAX_TEXT_LENGTH)],
        render_kw={"rows": 5},
    )
    closing_summary = TextAreaField(
        _l("Closing summary"),
        validators=[Length(max=service.MAX_TEXT_LENGTH)],
        render_kw={"rows": 5},
    )
    next_meeting_date = DateField(
        _l("Next meeting date"),
        validators=[Optional()],
        format="%Y-%m-%d",
    )
    next_meeting_note = StringField(
        _l("About the next meeting"),
        validators=[Length(max=500)],
        description=_l("e.g. “to be confirmed by the co-chairs”"),
    )
    lock_version = IntegerField(
        widget=HiddenField.widget,
        validators=[InputRequired(_l("The form is incomplete; please reload the page."))],
    )
    version_id = IntegerField(
        widget=HiddenField.widget,
        validators=[InputRequired(_l("The form is incomplete; please reload the page."))],
    )
