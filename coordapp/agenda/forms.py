"""Forms of the agenda builder."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    HiddenField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length, NumberRange, Optional

from coordapp.inputs import IntegerField, SelectField, bounded_int
from coordapp.models.agenda import AGENDA_KIND_LABELS, AgendaItemKind

MAX_DURATION_MINUTES = 24 * 60


class ItemForm(FlaskForm):
    title = StringField(
        _l("Title"),
        validators=[DataRequired(message=_l("Give the item a title.")), Length(max=300)],
    )
    kind = SelectField(
        _l("Kind"),
        choices=[SelectChoice(kind.value, label) for kind, label in AGENDA_KIND_LABELS.items()],
        default=AgendaItemKind.DISCUSSION.value,
        validators=[InputRequired()],
    )
    duration_minutes = IntegerField(
        _l("Planned duration (minutes)"),
        default=15,
        validators=[
            InputRequired(message=_l("Give a duration in minutes (0 or more).")),
            NumberRange(
                min=0,
                max=MAX_DURATION_MINUTES,
                message=_l("The duration must be between 0 and 1440 minutes."),
            ),
        ],
        render_kw={"min": 0, "max": MAX_DURATION_MINUTES, "step": 1},
    )
    presenters = SelectMultipleField(
        _l("Presenters"), coerce=bounded_int, validators=[Optional()], render_kw={"size": 8}
    )
    description = TextAreaField(
        _l("Description"),
        validators=[Optional(), Length(max=20000)],
        render_kw={"rows": 6},
    )

    @property
    def kind_value(self) -> AgendaItemKind:
        return AgendaItemKind(self.kind.data)


class MoveForm(FlaskForm):
    direction = HiddenField(validators=[AnyOf(["up", "down"])])


class CopyForm(FlaskForm):
    source = SelectField(
        _l("Copy the agenda of"),
        coerce=bounded_int,
        validators=[InputRequired(message=_l("Choose a meeting."))],
    )


class UploadForm(FlaskForm):
    file = FileField(_l("Attachment"), validators=[FileRequired(message=_l("Choose a file."))])
