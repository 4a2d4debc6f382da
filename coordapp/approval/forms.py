"""Forms of the approval workflow. Forms without fields still carry the CSRF token."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import InputRequired, Length

from coordapp.approval import service


class SubmitForm(FlaskForm):
    """Submit the draft minutes for approval (secretariat)."""


class ApproveForm(FlaskForm):
    """A chair approves the version; the worker then adds their signature."""


class ReturnForm(FlaskForm):
    comment = TextAreaField(
        _l("Comment for the secretariat"),
        validators=[
            InputRequired(
                _l("Please write a comment: the secretariat needs to know what to change.")
            ),
            Length(
                max=service.MAX_COMMENT_LENGTH,
                message=_l("The comment is too long (at most %(max)d characters)."),
            ),
        ],
        render_kw={"rows": 4},
    )


class AmendForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason for the amendment"),
        validators=[
            InputRequired(_l("Please give the reason for the amendment.")),
            Length(
                max=service.MAX_REASON_LENGTH,
                message=_l("The reason is too long (at most %(max)d characters)."),
            ),
        ],
        render_kw={"rows": 3},
    )
