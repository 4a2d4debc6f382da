from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField
from wtforms.fields.choices import SelectChoice

from coordapp.models import InvitationStatus


class AnswerFromMessageForm(FlaskForm):
    """The answer a person wrote in plain words, recorded in one click."""

    status = RadioField(
        _l("Answer"),
        choices=[
            SelectChoice(InvitationStatus.ACCEPTED.value, _l("Accepted")),
            SelectChoice(InvitationStatus.TENTATIVE.value, _l("Tentative")),
            SelectChoice(InvitationStatus.DECLINED.value, _l("Declined")),
        ],
    )
