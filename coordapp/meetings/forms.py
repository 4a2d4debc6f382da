"""Forms for series and meetings. Local times are turned into UTC in `validate`."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlparse

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    FieldList,
    FormField,
    HiddenField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    URLField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from coordapp.inputs import DateTimeLocalField, IntegerField, SelectField, bounded_int
from coordapp.meetings import service
from coordapp.models import MeetingKind
from coordapp.models.meeting import KIND_LABELS
from coordapp.timefmt import timezone_choices

LOCAL_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]

LANGUAGE_CHOICES = [
    SelectChoice("en", _l("English")),
    SelectChoice("fr", _l("French")),
    SelectChoice("es", _l("Spanish")),
    SelectChoice("ru", _l("Russian")),
    SelectChoice("be", _l("Belarusian")),
    SelectChoice("uk", _l("Ukrainian")),
    SelectChoice("ar", _l("Arabic")),
    SelectChoice("zh", _l("Chinese")),
]

NO_CHOICE = 0
CHAIR_ROWS_MIN = 3
CHAIR_ROWS_SPARE = 2


def _local_field(label) -> DateTimeLocalField:
    return DateTimeLocalField(
        label,
        format=LOCAL_FORMATS,
        validators=[DataRequired()],
        invalid_value_message=_l("Enter a date and time."),
    )


class ChairRowForm(FlaskForm):
    """One chair: a person and the role they chair in. Empty rows are ignored."""

    class Meta:
        csrf = False

    user_id = SelectField(_l("Person"), coerce=bounded_int, default=NO_CHOICE)
    role_label = StringField(
        _l("Role"),
        validators=[Length(max=200)],
        render_kw={"placeholder": _l("e.g. Co-chair, UN Resident Coordinator")},
    )


class ChairsMixin:
    """Chair rows shared by the series and meeting forms."""

    def set_user_choices(self, users) -> None:
        choices = [SelectChoice(NO_CHOICE, "—")] + [SelectChoice(u.id, u.name) for u in users]
        for row in self.chairs:
            row.form.user_id.choices = choices

    def fill_chair_rows(self, chairs: list[tuple[int, str]]) -> None:
        """Show `chairs` (user id, role label) followed by a few empty rows."""
        while len(self.chairs.entries):
            self.chairs.pop_entry()
        for user_id, role_label in chairs:
            self.chairs.append_entry({"user_id": user_id, "role_label": role_label})
        self.add_spare_chair_rows()

    def add_spare_chair_rows(self) -> None:
        filled = len(self.chosen_chairs())
        while len(self.chairs.entries) < max(CHAIR_ROWS_MIN, filled + CHAIR_ROWS_SPARE):
            self.chairs.append_entry()

    def chosen_chairs(self) -> list[tuple[int, str]]:
        return [
            (row.form.user_id.data, (row.form.role_label.data or "").strip())
            for row in self.chairs
            if row.form.user_id.data
        ]

    def validate_chair_rows(self) -> bool:
        ok = True
        seen: set[int] = set()
        for row in self.chairs:
            user_id = row.form.user_id.data
            label = (row.form.role_label.data or "").strip()
            if not user_id:
                if label:
                    row.form.user_id.errors.append(_l("Choose the person who has this role."))
                    ok = False
                continue
            if user_id in seen:
                row.form.user_id.errors.append(_l("This person is already a chair."))
                ok = False
            seen.add(user_id)
        return ok


class SeriesForm(ChairsMixin, FlaskForm):
    name = StringField(
        lazy_pgettext("series", "Name"), validators=[DataRequired(), Length(max=300)]
    )
    description = TextAreaField(_l("Description"), validators=[Optional()])
    uses_gcm = BooleanField(_l("Tag commitments with the Global Compact for Migration objectives"))
    chairs = FieldList(FormField(ChairRowForm), label=_l("Default chairs"))
    contact_ids = SelectMultipleField(_l("Default invited contacts"), coerce=bounded_int)
    organisation_ids = SelectMultipleField(_l("Default invited organisations"), coerce=bounded_int)

    def __init__(self, *args, series_id: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.series_id = series_id

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if self.name.data and service.series_name_taken(self.name.data, self.series_id):
            self.name.errors.append(_l("A series with this name already exists."))
            ok = False
        return self.validate_chair_rows() and ok


class MeetingForm(ChairsMixin, FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=300)])
    series_id = SelectField(_l("Series"), coerce=bounded_int, default=NO_CHOICE)
    number = IntegerField(
        _l("Number in the series"),
        validators=[Optional(), NumberRange(min=1, message=_l("Enter a number of 1 or more."))],
    )
    kind = SelectField(
        _l("Kind"),
        # The lazy labels: the form class is built once, pages speak many languages.
        choices=[SelectChoice(k.value, KIND_LABELS[k]) for k in MeetingKind],
        default=MeetingKind.REGULAR.value,
    )
    description = TextAreaField(_l("Description"), validators=[Optional()])
    timezone = SelectField(_l("Timezone"), default="UTC")
    starts_at = _local_field(_l("Starts"))
    ends_at = _local_field(_l("Ends"))
    venue = StringField(_l("Venue"), validators=[Optional(), Length(max=500)])
    online_url = URLField(_l("Online meeting link"), validators=[Optional(), Length(max=1000)])
    rsvp_deadline = DateTimeLocalField(
        _l("Reply by"),
        format=LOCAL_FORMATS,
        validators=[Optional()],
        invalid_value_message=_l("Enter a date and time."),
    )
    capacity = IntegerField(
        _l("Capacity"),
        validators=[Optional(), NumberRange(min=1, message=_l("Enter a number of 1 or more."))],
    )
    language = SelectField(_l("Language"), choices=LANGUAGE_CHOICES, default="en")
    reminder_days = IntegerField(
        _l("Remind pending invitees N days before the RSVP deadline"),
        default=3,
        validators=[
            Optional(),
            NumberRange(min=0, max=60, message=_l("Enter a number of days from 0 to 60.")),
        ],
    )
    chairs = FieldList(FormField(ChairRowForm), label=_l("Chairs"))

    def __init__(self, *args, series_choices=(), meeting_id: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.series_id.choices = [SelectChoice(NO_CHOICE, _l("— none —"))] + [
            SelectChoice(s.id, s.name) for s in series_choices
        ]
        self.timezone.choices = [SelectChoice(z) for z in timezone_choices()]
        self.editing_meeting_id = meeting_id
        # Filled by `validate`: the entered local times, in UTC.
        self.starts_at_utc: datetime | None = None
        self.ends_at_utc: datetime | None = None
        self.rsvp_deadline_utc: datetime | None = None

    def _to_utc(self, field) -> datetime | None:
        if field.data is None or field.errors:
            return None
        try:
            return service.local_to_utc(field.data, self.timezone.data)
        except service.NonexistentLocalTime:
            field.errors.append(
                _l(
                    "This time does not exist in %(zone)s: the clocks skip it when "
                    "daylight saving time starts. Choose another time.",
                    zone=self.timezone.data,
                )
            )
            return None

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if self.timezone.errors:
            return False
        self.starts_at_utc = self._to_utc(self.starts_at)
        self.ends_at_utc = self._to_utc(self.ends_at)
        self.rsvp_deadline_utc = self._to_utc(self.rsvp_deadline)
        ok = ok and not (self.starts_at.errors or self.ends_at.errors or self.rsvp_deadline.errors)

        if self.starts_at_utc and self.ends_at_utc and self.ends_at_utc <= self.starts_at_utc:
            self.ends_at.errors.append(_l("The meeting must end after it starts."))
            ok = False
        if (
            self.starts_at_utc
            and self.rsvp_deadline_utc
            and self.rsvp_deadline_utc >= self.starts_at_utc
        ):
            self.rsvp_deadline.errors.append(_l("The reply deadline must be before the start."))
            ok = False

        if self.online_url.data:
            parsed = urlparse(self.online_url.data.strip())
            if parsed.scheme not in ("http", "https") or not parsed.netloc:
                self.online_url.errors.append(
                    _l("Enter a web address starting with https:// or http://.")
                )
                ok = False

        if self.number.data is not None and not self.number.errors:
            if not self.series_id.data:
                self.number.errors.append(_l("Choose a series to number the meeting in."))
                ok = False
            elif service.number_taken(
                self.series_id.data, self.number.data, self.editing_meeting_id
            ):
                self.number.errors.append(_l("This series already has a meeting with this number."))
                ok = False
        return self.validate_chair_rows() and ok


class StatusForm(FlaskForm):
    """One status button; cancelling also sends a reason (the service requires it)."""

    status = HiddenField()
    reason = TextAreaField(_l("Reason for cancelling"), validators=[Length(max=5000)])
