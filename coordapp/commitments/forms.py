"""Forms for capturing commitments, updating their status and filtering the tracker."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    Form,
    SelectChoice,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from coordapp.commitments.service import parse_quarter
from coordapp.gcm import GCM_OBJECTIVES
from coordapp.inputs import DateField, SelectField, bounded_int
from coordapp.models.commitment import COMMITMENT_STATUS_LABELS, SDG_NAMES
from coordapp.models.directory import CATEGORY_LABELS

DESCRIPTION_MAX = 5000
NOTE_MAX = 2000


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _choices(pairs) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


STATUS_PAIRS = [(status.value, label) for status, label in COMMITMENT_STATUS_LABELS.items()]
SDG_PAIRS = [
    (goal, _l("SDG %(goal)s — %(name)s", goal=goal, name=name)) for goal, name in SDG_NAMES.items()
]

GCM_PAIRS = [
    (n, _l("Objective %(number)s: %(title)s", number=n, title=title))
    for n, title in GCM_OBJECTIVES.items()
]


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class GCMObjectivesField(MultiCheckboxField):
    """The GCM objectives as checkboxes; a number that is not an objective is refused
    with a message that says so (not WTForms' generic "not a valid choice")."""

    def pre_validate(self, form):
        unknown = sorted(set(self.data or []) - set(GCM_OBJECTIVES))
        if unknown:
            raise ValidationError(
                _l(
                    "The Global Compact for Migration has objectives 1 to %(count)s only: "
                    "%(numbers)s is not one of them.",
                    count=len(GCM_OBJECTIVES),
                    numbers=", ".join(str(n) for n in unknown),
                )
            )


class CommitmentForm(FlaskForm):
    # The organisation, contact and agenda item choices are filled in by the view.
    organisation_ids = SelectMultipleField(
        _l("Committing organisation(s)"),
        coerce=bounded_int,
        choices=[],
        validators=[DataRequired(message=_l("Choose at least one committing organisation."))],
        render_kw={"size": 8},
    )
    description = TextAreaField(
        _l("Description"),
        filters=[_strip],
        validators=[
            DataRequired(message=_l("Describe what was committed.")),
            Length(max=DESCRIPTION_MAX),
        ],
        render_kw={"rows": 4},
    )
    responsible_contact_id = SelectField(
        _l("Responsible contact (optional)"), coerce=bounded_int, choices=[], default=0
    )
    agenda_item_id = SelectField(
        _l("Agenda item (optional)"), coerce=bounded_int, choices=[], default=0
    )
    due_date = DateField(_l("Due date"), validators=[Optional()])
    due_quarter = StringField(
        _l("…or due in a quarter"),
        filters=[_strip],
        validators=[Optional(), Length(max=20)],
        render_kw={"placeholder": "Q2 2027"},
    )
    goals = MultiCheckboxField(
        _l("Sustainable Development Goals"), coerce=bounded_int, choices=_choices(SDG_PAIRS)
    )
    # Removed by the view when the meeting's series does not use the GCM.
    gcm_objectives = GCMObjectivesField(
        _l("Global Compact for Migration objectives"),
        coerce=bounded_int,
        choices=_choices(GCM_PAIRS),
    )
    submit = SubmitField(_l("Save commitment"))

    def validate_due_quarter(self, field):
        if not field.data:
            return
        try:
            self.parsed_quarter = parse_quarter(field.data)
        except ValueError:
            raise ValidationError(
                _l("Write the quarter as Q1, Q2, Q3 or Q4 followed by the year, e.g. “Q2 2027”.")
            ) from None
        if self.due_date.data:
            raise ValidationError(_l("Give either a due date or a quarter, not both."))


class StatusUpdateForm(FlaskForm):
    status = SelectField(
        _l("Status"),
        choices=_choices(STATUS_PAIRS),
        validators=[InputRequired(message=_l("Choose a status."))],
    )
    note = TextAreaField(
        _l("Note"),
        filters=[_strip],
        validators=[Optional(), Length(max=NOTE_MAX)],
        render_kw={"rows": 2},
    )
    submit = SubmitField(_l("Record update"))


class TrackerFilterForm(Form):
    """The tracker's filters; read from the query string, so no CSRF token."""

    series = SelectField(
        _l("Series"), coerce=bounded_int, choices=[], default=0, validate_choice=False
    )
    status = SelectField(
        _l("Status"), choices=_choices([("", _l("All statuses")), *STATUS_PAIRS]), default=""
    )
    organisation = SelectField(
        _l("Organisation"), coerce=bounded_int, choices=[], default=0, validate_choice=False
    )
    category = SelectField(
        _l("Category"),
        choices=_choices(
            [
                ("", _l("All categories")),
                *[(category.value, label) for category, label in CATEGORY_LABELS.items()],
            ]
        ),
        default="",
    )
    sdg = SelectField(
        _l("SDG"),
        coerce=bounded_int,
        choices=_choices([(0, _l("All goals")), *SDG_PAIRS]),
        default=0,
    )
    # Removed by the view when no series uses the GCM.
    gcm = SelectField(
        _l("GCM objective"),
        coerce=bounded_int,
        choices=_choices([(0, _l("All objectives")), *GCM_PAIRS]),
        default=0,
    )
    overdue = BooleanField(_l("Overdue only"))
