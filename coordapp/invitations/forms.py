"""Forms for inviting contacts and acting on invitations."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length

from coordapp.inputs import ChecklistField, SelectField, bounded_int
from coordapp.models import CATEGORY_LABELS, INVITATION_STATUS_LABELS, Category, InvitationStatus


class GroupsForm(FlaskForm):
    """Whole groups of contacts: organisations, categories, the series' default list
    (rendered by the people_choosers macro of templates/_checklist.html)."""

    organisation_ids = ChecklistField(
        _l("Everyone at these organisations"), coerce=bounded_int, validate_choice=False
    )
    categories = ChecklistField(
        _l("Everyone in these categories"),
        choices=[SelectChoice(c.value, CATEGORY_LABELS[c]) for c in Category],
    )
    series_default_list = BooleanField(_l("The series' default invitation list"))

    @property
    def chosen_categories(self) -> list[Category]:
        return [Category(value) for value in self.categories.data or ()]


class InviteForm(GroupsForm):
    """Groups, and single contacts; at least one of them."""

    contact_ids = ChecklistField(_l("Contacts"), coerce=bounded_int, validate_choice=False)

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if ok and not (
            self.contact_ids.data
            or self.organisation_ids.data
            or self.categories.data
            or self.series_default_list.data
        ):
            self.contact_ids.errors.append(
                _l("Choose at least one contact, organisation, category or the default list.")
            )
            ok = False
        return ok


ANSWER_STATUSES = (InvitationStatus.ACCEPTED, InvitationStatus.TENTATIVE, InvitationStatus.DECLINED)
ANSWER_CHOICES = [SelectChoice(s.value, INVITATION_STATUS_LABELS[s]) for s in ANSWER_STATUSES]


class AnswerOnBehalfForm(FlaskForm):
    status = SelectField(_l("Answer"), choices=ANSWER_CHOICES)
    needs = TextAreaField(_l("Accessibility or dietary needs"), validators=[Length(max=2000)])
    comment = TextAreaField(_l("Comment"), validators=[Length(max=5000)])
