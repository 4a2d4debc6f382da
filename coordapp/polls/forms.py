"""The poll's forms: the secretariat's (the poll, a slot, whom to ask, key organisations)
and the participant's answer, whose fields are the poll's slots."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, TextAreaField, TimeField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from coordapp.inputs import ChecklistField, DateField, DateTimeLocalField, IntegerField, bounded_int
from coordapp.invitations.forms import InviteForm
from coordapp.models import POLL_VISIBILITY_LABELS, PollVisibility

MESSAGE_MAX = 5000
COMMENT_MAX = 2000
REMINDER_DAYS_MAX = 60
LOCAL_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]


class PollForm(FlaskForm):
    message = TextAreaField(
        _l("Message to the people asked"),
        validators=[Optional(), Length(max=MESSAGE_MAX)],
        render_kw={"rows": 4},
    )
    deadline = DateTimeLocalField(
        _l("Answers by"),
        format=LOCAL_FORMATS,
        validators=[DataRequired(message=_l("Enter the date and time answers are due."))],
        invalid_value_message=_l("Enter a date and time."),
    )
    visibility = RadioField(
        _l("What the people asked see of the others' answers"),
        choices=[SelectChoice(v.value, POLL_VISIBILITY_LABELS[v]) for v in PollVisibility],
        default=PollVisibility.COUNTS.value,
        validators=[InputRequired(message=_l("Choose what people see."))],
    )
    reminder_days_before = IntegerField(
        _l("Remind those who have not answered this many days before the deadline"),
        validators=[
            Optional(),
            NumberRange(
                min=0,
                max=REMINDER_DAYS_MAX,
                message=_l("Enter a number of days from 0 to %(max)s.", max=REMINDER_DAYS_MAX),
            ),
        ],
    )
    ask_chairs = BooleanField(_l("Ask the meeting's chairs"), default=True)


class SlotForm(FlaskForm):
    day = DateField(
        _l("Date"),
        validators=[DataRequired(message=_l("Enter a date."))],
    )
    start = TimeField(_l("Start"), validators=[DataRequired(message=_l("Enter a start time."))])
    end = TimeField(_l("End"), validators=[DataRequired(message=_l("Enter an end time."))])


class AskForm(InviteForm):
    """Whom to ask: exactly the invitation form's choices (contacts, organisations,
    categories, the series list), plus the chairs."""

    chairs = BooleanField(_l("The meeting's chairs"))

    def validate(self, extra_validators=None) -> bool:
        if self.chairs.data and not (
            self.contact_ids.raw_data
            or self.organisation_ids.raw_data
            or self.categories.raw_data
            or self.series_default_list.data
        ):
            return FlaskForm.validate(self, extra_validators)
        return super().validate(extra_validators)


class KeyOrganisationsForm(FlaskForm):
    organisation_ids = ChecklistField(
        _l("Organisations key for this meeting"), coerce=bounded_int, validate_choice=False
    )


class AnswerCommentForm(FlaskForm):
    """The answer page's form: the slots' radio groups are read from the request by the
    view (their names are `slot-<id>`, one per slot shown); the comment is a field."""

    comment = TextAreaField(
        _l("Comment (optional)"),
        validators=[Optional(), Length(max=COMMENT_MAX)],
        render_kw={"rows": 3},
    )
