"""The poll's results for the secretariat (the chairs may read them), their CSV, and
choosing the date.

    GET  /meetings/<meeting_id>/poll/results       poll_results.show
    GET  /meetings/<meeting_id>/poll/results.csv   poll_results.export
    POST /meetings/<meeting_id>/poll/choose        poll_results.choose   (secretariat)
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy.orm import joinedload
from wtforms import RadioField
from wtforms.validators import InputRequired

from coordapp.access import login_required, secretariat_required
from coordapp.extensions import db
from coordapp.inputs import bounded_int
from coordapp.invitations.forms import GroupsForm
from coordapp.invitations.service import contacts_to_invite, organisation_choices
from coordapp.models import (
    Meeting,
    Poll,
    PollChoice,
    meeting_page_options,
)
from coordapp.polls import results as poll_results
from coordapp.polls.choose import AlreadyChosen, choose_slot

bp = Blueprint("poll_results", __name__)


class ChooseForm(GroupsForm):
    # No list of single contacts here (hundreds of checkboxes on a page already holding
    # the grid): one person more is invited afterwards from the invitations page.
    slot_id = RadioField(
        _l("Date"), coerce=bounded_int, validators=[InputRequired(_l("Choose a date."))]
    )


def _poll_or_404(meeting_id: int) -> Poll:
    poll = db.session.scalars(
        sa.select(Poll)
        .where(Poll.meeting_id == meeting_id)
        .options(joinedload(Poll.meeting).options(*meeting_page_options()))
    ).one_or_none()
    if poll is None:
        abort(404, _("This meeting has no scheduling poll."))
    return poll


def _may_read(meeting: Meeting) -> bool:
    """The secretariat, and the meeting's chairs (loaded with the meeting: no query)."""
    return current_user.is_secretariat or any(c.user_id == current_user.id for c in meeting.chairs)


def _fill_choices(form: ChooseForm, results: poll_results.Results) -> None:
    tz = results.timezone
    form.slot_id.choices = [
        (slot.id, poll_results.slot_label(slot, tz, zone=False)) for slot in results.slots
    ]
    form.organisation_ids.choices = organisation_choices()


def _page(poll: Poll, form: ChooseForm | None, code: int = 200):
    results = poll_results.poll_results(poll)
    if form is not None:
        _fill_choices(form, results)
        if form.slot_id.data is None and results.suggestion is not None:
            form.slot_id.data = results.suggestion.slot.id
    reasons = (
        poll_results.reason_lines(results.suggestion, results.timezone)
        if results.suggestion
        else []
    )
    return (
        render_template(
            "polls/results.html",
            meeting=poll.meeting,
            poll=poll,
            results=results,
            reasons=reasons,
            form=form,
            slot_label=poll_results.slot_label,
            role_text=poll_results.role_text,
            choices=list(PollChoice),
        ),
        code,
    )


@bp.route("/meetings/<id:meeting_id>/poll/results")
@login_required
def show(meeting_id: int):
    poll = _poll_or_404(meeting_id)
    if not _may_read(poll.meeting):
        abort(403)
    may_choose = current_user.is_secretariat and poll.is_open
    return _page(poll, ChooseForm() if may_choose else None)


@bp.route("/meetings/<id:meeting_id>/poll/results.csv")
@login_required
def export(meeting_id: int):
    poll = _poll_or_404(meeting_id)
    if not _may_read(poll.meeting):
        abort(403)
    body = poll_results.results_csv(poll_results.poll_results(poll))
    return Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="poll-{meeting_id}.csv"'},
    )


@bp.route("/meetings/<id:meeting_id>/poll/choose", methods=["POST"])
@secretariat_required
def choose(meeting_id: int):
    poll = _poll_or_404(meeting_id)
    form = ChooseForm()
    results_url = url_for("poll_results.show", meeting_id=meeting_id)
    if not poll.is_open:
        flash(_("The date of this meeting has already been chosen."), "info")
        return redirect(results_url, code=303)
    form.slot_id.choices = [(slot.id, "") for slot in poll.slots]
    if not form.validate_on_submit():
        return _page(poll, form, 400)
    extra = contacts_to_invite(
        poll.meeting,
        organisation_ids=form.organisation_ids.data or (),
        categories=form.chosen_categories,
        series_default_list=form.series_default_list.data,
    )
    try:
        chosen = choose_slot(poll, form.slot_id.data, extra_contacts=extra, by=current_user)
        db.session.commit()
    except AlreadyChosen as error:
        # A second click, or someone else a moment before: the first choice stands.
        db.session.rollback()
        flash(str(error.message), "info")
        return redirect(results_url, code=303)
    flash(
        _(
            "The date is chosen: %(when)s. The meeting is scheduled.",
            when=poll_results.slot_label(chosen.slot, poll.meeting.timezone),
        ),
        "success",
    )
    flash(
        ngettext(
            "%(num)s invitation sent.", "%(num)s invitations sent.", chosen.invited.invited_count
        )
        + " "
        + ngettext(
            "%(num)s person asked is told the date.",
            "%(num)s people asked are told the date.",
            chosen.told,
        ),
        "success",
    )
    return redirect(url_for("meetings.show", meeting_id=meeting_id), code=303)
