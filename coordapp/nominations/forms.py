"""Forms of nominations: the secretariat asking organisations, the focal point naming
delegates. The focal point's texts go through coordapp.i18n like the RSVP page's."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional

from coordapp.i18n import lazy_gettext as _l
from coordapp.inputs import ChecklistField, DateTimeLocalField, IntegerField, bounded_int
from coordapp.models import CATEGORY_LABELS, DEFAULT_PLACES, AttendanceMode, Category
from coordapp.nominations.service import MAX_PLACES
from coordapp.timefmt import wall_clock_to_utc

LOCAL_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]
TEXT_MAX = 2000


class AskForm(FlaskForm):
    """Organisations (or whole categories) to nominate, places and a deadline."""

    organisation_ids = ChecklistField(
        _l("Organisations to nominate"), coerce=bounded_int, validate_choice=False
    )
    categories = ChecklistField(
        _l("Whole categories"),
        choices=[SelectChoice(c.value, CATEGORY_LABELS[c]) for c in Category],
    )

    @property
    def chosen_categories(self) -> list[Category]:
        return [Category(value) for value in self.categories.data or ()]

    places = IntegerField(
        _l("Places per organisation"),
        default=DEFAULT_PLACES,
        validators=[
            DataRequired(message=_l("Enter a number of places.")),
            NumberRange(min=1, max=MAX_PLACES, message=_l("Enter a number from 1 to 50.")),
        ],
    )
    overrides = TextAreaField(
        _l("Other numbers of places (optional)"),
        validators=[Optional(), Length(max=20000)],
        render_kw={"rows": 3},
    )
    deadline = DateTimeLocalField(
        _l("Nominate by"),
        format=LOCAL_FORMATS,
        validators=[Optional()],
        invalid_value_message=_l("Enter a date and time."),
    )

    def deadline_utc(self, timezone: str) -> datetime | None:
        if self.deadline.data is None:
            return None
        return wall_clock_to_utc(self.deadline.data, ZoneInfo(timezone))

    def parsed_overrides(self, names: dict[str, int]) -> dict[int, int]:
        """{organisation id: places} from lines "Name or acronym: 3"; ValueError naming
        the first line it cannot read."""
        found: dict[int, int] = {}
        for line in (self.overrides.data or "").splitlines():
            if not line.strip():
                continue
            name, _, number = line.rpartition(":")
            key = name.strip().casefold()
            if key not in names or not number.strip().isdigit():
                raise ValueError(line.strip())
            places = int(number.strip())
            if not 1 <= places <= MAX_PLACES:
                raise ValueError(line.strip())
            found[names[key]] = places
        return found

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if ok and not (self.organisation_ids.data or self.categories.data):
            self.organisation_ids.errors.append(_l("Choose at least one organisation or category."))
            ok = False
        return ok


LANGUAGE_LABELS = {"en": _l("English"), "ru": _l("Russian"), "be": _l("Belarusian")}


def _language_choices() -> list[SelectChoice]:
    return [SelectChoice(code, label) for code, label in LANGUAGE_LABELS.items()]


class NomineeForm(FlaskForm):
    name = StringField(
        _l("Name"),
        validators=[DataRequired(message=_l("Enter the person's name.")), Length(max=200)],
    )
    position = StringField(_l("Position (optional)"), validators=[Optional(), Length(max=200)])
    email = EmailField(
        _l("Email"),
        validators=[
            DataRequired(message=_l("Enter the person's email address.")),
            Email(message=_l("Enter a valid email address."), check_deliverability=False),
            Length(max=254),
        ],
    )
    language = SelectField(_l("Preferred language"), default="ru")
    needs = TextAreaField(
        _l("Accessibility or dietary needs"),
        validators=[Optional(), Length(max=TEXT_MAX)],
        render_kw={"rows": 2},
    )
    # Asked in a hybrid meeting only (the page shows it there).
    mode = RadioField(
        _l("How will they take part?"),
        choices=[
            SelectChoice(AttendanceMode.IN_PERSON.value, _l("In person")),
            SelectChoice(AttendanceMode.ONLINE.value, _l("Online")),
        ],
        validators=[Optional()],
    )
    # Set when replacing someone: whose place the new person takes.
    replaces = HiddenField(filters=[lambda v: v or None])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.language.choices = _language_choices()

    @property
    def attendance_mode(self) -> AttendanceMode | None:
        return AttendanceMode(self.mode.data) if self.mode.data else None

    @property
    def replaced_id(self) -> int | None:
        try:
            return bounded_int(self.replaces.data) if self.replaces.data else None
        except ValueError:
            return None


class WithdrawForm(FlaskForm):
    invitation_id = HiddenField(validators=[DataRequired()])

    @property
    def chosen_id(self) -> int | None:
        try:
            return bounded_int(self.invitation_id.data)
        except (TypeError, ValueError):
            return None
