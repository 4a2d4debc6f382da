"""The participant's forms: the answer, and sending a substitute. Their texts are
translated through coordapp.i18n (cheaper than Flask-Babel's own, on the page every
invitee opens)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional

from coordapp.i18n import lazy_gettext as _l
from coordapp.models import AttendanceMode, InvitationStatus

TEXT_MAX = 2000


class AnswerForm(FlaskForm):
    status = RadioField(
        _l("Your answer"),
        choices=[
            SelectChoice(InvitationStatus.ACCEPTED.value, _l("Yes, I will attend")),
            SelectChoice(InvitationStatus.TENTATIVE.value, _l("Maybe (tentative)")),
            SelectChoice(InvitationStatus.DECLINED.value, _l("No, I cannot attend")),
        ],
        validators=[InputRequired(message=_l("Choose yes, maybe or no."))],
    )
    # Asked in a hybrid meeting only (the page shows it there).
    mode = RadioField(
        _l("How will you take part?"),
        choices=[
            SelectChoice(AttendanceMode.IN_PERSON.value, _l("In person")),
            SelectChoice(AttendanceMode.ONLINE.value, _l("Online")),
        ],
        validators=[Optional()],
    )
    needs = TextAreaField(
        _l("Accessibility or dietary needs"),
        validators=[Optional(), Length(max=TEXT_MAX)],
        render_kw={"rows": 3},
    )
    comment = TextAreaField(
        _l("Comment (optional)"),
        validators=[Optional(), Length(max=TEXT_MAX)],
        render_kw={"rows": 3},
    )

    @property
    def answer(self) -> InvitationStatus:
        return InvitationStatus(self.status.data)

    @property
    def attendance_mode(self) -> AttendanceMode | None:
        return AttendanceMode(self.mode.data) if self.mode.data else None


class SubstituteForm(FlaskForm):
    name = StringField(
        _l("Colleague's name"),
        validators=[DataRequired(message=_l("Enter your colleague's name.")), Length(max=200)],
    )
    email = EmailField(
        _l("Colleague's email"),
        validators=[
            DataRequired(message=_l("Enter your colleague's email address.")),
            Email(message=_l("Enter a valid email address."), check_deliverability=False),
            Length(max=254),
        ],
    )
    position = StringField(_l("Position (optional)"), validators=[Optional(), Length(max=200)])
