"""The secretariat's poll pages on a draft meeting: create the poll, its candidate slots,
whom to ask (as invitations choose invitees, plus the chairs), the key organisations and
reminders. Every email is queued in the same transaction and written by the worker."""

from __future__ import annotations

from datetime import UTC

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from coordapp.access import secretariat_required
from coordapp.extensions import db
from coordapp.inputs import ConfirmForm
from coordapp.invitations.service import invitee_choices
from coordapp.links import poll_url
from coordapp.models import (
    Meeting,
    MeetingStatus,
    Organisation,
    PollSlot,
    PollVisibility,
)
from coordapp.polls import overview, reminders, service
from coordapp.polls.forms import AskForm, KeyOrganisationsForm, PollForm, SlotForm
from coordapp.polls.notifications import email_the_poll_to_those_waiting
from coordapp.web import get_meeting_or_404

bp = Blueprint("polls", __name__)


def _results_url(meeting: Meeting) -> str:
    """The results page's address (poll_results, coordapp/polls/routes/results.py)."""
    return url_for("poll_results.show", meeting_id=meeting.id)


def _has_slots(poll) -> bool:
    return db.session.scalar(sa.select(sa.exists().where(PollSlot.poll_id == poll.id)))


def _poll_or_404(meeting: Meeting):
    poll = overview.poll_of(meeting)
    if poll is None:
        abort(404, _("This meeting has no scheduling poll."))
    return poll


def _get_slot_or_404(slot_id: int) -> PollSlot:
    slot = db.session.get(PollSlot, slot_id)
    if slot is None:
        abort(404, _("This date is no longer in the poll."))
    return slot


def _refused(error: service.PollError, meeting: Meeting):
    """A refusal of the service: the poll page again, with the reason, and its code."""
    db.session.rollback()
    flash(str(error), "error")
    return _render_poll(get_meeting_or_404(meeting.id), code=error.status)


# --- creating the poll ---------------------------------------------------------------------


def _aware(meeting: Meeting, wall):
    """A wall-clock datetime typed in the meeting's timezone, as UTC (None if it does not
    exist that day)."""
    aware = wall.replace(tzinfo=meeting.tz)
    utc = aware.astimezone(UTC)
    if utc.astimezone(meeting.tz).replace(tzinfo=None) != wall:
        return None
    return utc


@bp.route("/meetings/<id:meeting_id>/poll/new", methods=["GET", "POST"])
@secretariat_required
def new(meeting_id: int):
    meeting = get_meeting_or_404(meeting_id)
    if overview.poll_of(meeting) is not None:
        return redirect(url_for("polls.show", meeting_id=meeting.id))
    form = PollForm()
    if meeting.status != MeetingStatus.DRAFT:
        if request.method == "POST":
            flash(_("A date can only be polled for a draft meeting."), "error")
        return render_template("polls/new.html", meeting=meeting, form=None), 409
    if form.validate_on_submit():
        deadline = _aware(meeting, form.deadline.data)
        if deadline is None:
            form.deadline.errors.append(
                _("This time does not exist on that day in the meeting's timezone.")
            )
        else:
            try:
                poll = service.create_poll(
                    meeting,
                    message=form.message.data,
                    deadline=deadline,
                    visibility=PollVisibility(form.visibility.data),
                    reminder_days_before=form.reminder_days_before.data,
                    by=current_user,
                )
                if form.ask_chairs.data:
                    # Asked now; their email waits for the first candidate date (an email
                    # listing no date would ask nothing).
                    service.ask_chairs(poll, by=current_user)
            except service.PollError as error:
                db.session.rollback()
                form.deadline.errors.append(str(error))
                return render_template("polls/new.html", meeting=meeting, form=form), (error.status)
            db.session.commit()
            flash(_("The poll was created. Now add the candidate dates."), "success")
            return redirect(url_for("polls.show", meeting_id=meeting.id))
    code = 400 if request.method == "POST" else 200
    if code == 400:
        flash(_("The poll was not created: please correct the fields marked below."), "error")
    return render_template("polls/new.html", meeting=meeting, form=form), code


# --- the poll page -------------------------------------------------------------------------


def _render_poll(meeting: Meeting, *, slot_form=None, key_form=None, code: int = 200):
    poll = _poll_or_404(meeting)
    people = overview.respondents(poll)
    if key_form is None:
        key_form = KeyOrganisationsForm(formdata=None)
        key_form.organisation_ids.data = [k.organisation_id for k in poll.key_organisations]
    key_form.organisation_ids.choices = [
        (o.id, o.display_name)
        for o in db.session.scalars(
            sa.select(Organisation)
            .where(
                sa.or_(
                    Organisation.active.is_(True),
                    Organisation.id.in_([k.organisation_id for k in poll.key_organisations]),
                )
            )
            .order_by(Organisation.name)
        )
    ]
    return (
        render_template(
            "polls/show.html",
            meeting=meeting,
            poll=poll,
            people=people,
            answered=sum(1 for p in people if p.answered_at),
            counts=overview.answer_counts(poll),
            closed_reason=service.answers_closed_reason(poll),
            slot_form=slot_form or SlotForm(formdata=None),
            key_form=key_form,
            action_form=ConfirmForm(),
            results_url=_results_url(meeting),
            poll_url=poll_url,
        ),
        code,
    )


@bp.get("/meetings/<id:meeting_id>/poll")
@secretariat_required
def show(meeting_id: int):
    return _render_poll(get_meeting_or_404(meeting_id))


# --- slots ---------------------------------------------------------------------------------


@bp.post("/meetings/<id:meeting_id>/poll/slots")
@secretariat_required
def add_slot(meeting_id: int):
    meeting = get_meeting_or_404(meeting_id)
    poll = _poll_or_404(meeting)
    form = SlotForm()
    if not form.validate():
        flash(_("The date was not added: please correct the fields marked below."), "error")
        return _render_poll(meeting, slot_form=form, code=400)
    try:
        slot = service.add_slot(
            poll, day=form.day.data, start=form.start.data, end=form.end.data, by=current_user
        )
    except service.PollInputError as error:
        db.session.rollback()
        form.day.errors = [str(error)]
        flash(_("The date was not added: please correct the fields marked below."), "error")
        return _render_poll(get_meeting_or_404(meeting_id), slot_form=form, code=error.status)
    except service.PollError as error:
        return _refused(error, meeting)
    # The poll row is locked by add_slot: the email held for those asked while the poll
    # had no date goes now (only to them, and only once).
    emailed = email_the_poll_to_those_waiting(slot.poll)
    db.session.commit()
    flash(_("The date was added to the poll."), "success")
    if emailed:
        flash(
            ngettext(
                "The poll's email is on its way to the %(num)s person asked.",
                "The poll's email is on its way to the %(num)s people asked.",
                emailed,
            ),
            "success",
        )
    return redirect(url_for("polls.show", meeting_id=meeting.id, _anchor="slots"))


def _render_slot_form(slot: PollSlot, form: SlotForm, code: int = 200):
    meeting = slot.poll.meeting
    answers = overview.slot_answer_count(slot)
    return (
        render_template(
            "polls/slot_form.html", meeting=meeting, slot=slot, form=form, answers=answers
        ),
        code,
    )


@bp.route("/poll-slots/<id:slot_id>/edit", methods=["GET", "POST"])
@secretariat_required
def edit_slot(slot_id: int):
    slot = _get_slot_or_404(slot_id)
    meeting = slot.poll.meeting
    if request.method == "GET":
        start, end = meeting.local(slot.starts_at), meeting.local(slot.ends_at)
        form = SlotForm(formdata=None, day=start.date(), start=start.time(), end=end.time())
        return _render_slot_form(slot, form)
    form = SlotForm()
    if not form.validate():
        flash(_("The date was not changed: please correct the fields marked below."), "error")
        return _render_slot_form(slot, form, 400)
    try:
        before = (slot.starts_at, slot.ends_at)
        service.update_slot(
            slot, day=form.day.data, start=form.start.data, end=form.end.data, by=current_user
        )
    except service.PollInputError as error:
        db.session.rollback()
        form.day.errors = [str(error)]
        return _render_slot_form(_get_slot_or_404(slot_id), form, error.status)
    except service.PollError as error:
        return _refused(error, meeting)
    db.session.commit()
    if before != (slot.starts_at, slot.ends_at):
        flash(
            _("The date was changed. The answers given for its old time were removed."),
            "success",
        )
    return redirect(url_for("polls.show", meeting_id=meeting.id, _anchor="slots"))


@bp.post("/poll-slots/<id:slot_id>/remove")
@secretariat_required
def remove_slot(slot_id: int):
    slot = _get_slot_or_404(slot_id)
    meeting = slot.poll.meeting
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        service.remove_slot(slot, by=current_user)
    except service.PollError as error:
        return _refused(error, meeting)
    db.session.commit()
    flash(_("The date was removed from the poll, with its answers."), "success")
    return redirect(url_for("polls.show", meeting_id=meeting.id, _anchor="slots"))


# --- whom to ask ---------------------------------------------------------------------------


def _fill_ask_choices(form: AskForm) -> None:
    form.contact_ids.choices, form.organisation_ids.choices = invitee_choices()


@bp.route("/meetings/<id:meeting_id>/poll/ask", methods=["GET", "POST"])
@secretariat_required
def ask(meeting_id: int):
    meeting = get_meeting_or_404(meeting_id)
    poll = _poll_or_404(meeting)
    form = AskForm()
    if request.method == "POST" and form.validate():
        try:
            # Chairs first: a contact with a chair's email is then not asked twice.
            asked = service.ask_chairs(poll, by=current_user) if form.chairs.data else []
            contacts = service.people_to_ask(
                meeting,
                contact_ids=form.contact_ids.data or (),
                organisation_ids=form.organisation_ids.data or (),
                categories=form.chosen_categories,
                series_default_list=form.series_default_list.data,
            )
            result = service.ask_people(poll, contacts, by=current_user)
            asked += result.asked
            # Without any date yet, the email waits for the first one (see add_slot).
            has_slots = email_the_poll_to_those_waiting(poll) > 0 or _has_slots(poll)
            db.session.commit()
        except service.PollError as error:
            return _refused(error, meeting)
        except IntegrityError:
            db.session.rollback()
            abort(409, _("The people asked changed meanwhile. Please try again."))
        if has_slots:
            message = ngettext(
                "%(num)s person asked; the poll's email is on its way.",
                "%(num)s people asked; the poll's email is on its way.",
                len(asked),
            )
        else:
            message = ngettext(
                "%(num)s person asked; the poll's email goes out when you add the first date.",
                "%(num)s people asked; the poll's email goes out when you add the first date.",
                len(asked),
            )
        flash(message, "success" if asked else "info")
        if result.already_asked or result.inactive_skipped or result.asked_as_chair:
            return render_template("polls/ask_result.html", meeting=meeting, result=result)
        return redirect(url_for("polls.show", meeting_id=meeting.id, _anchor="people"))
    _fill_ask_choices(form)
    code = 400 if request.method == "POST" else 200
    if code == 400:
        flash(_("Nobody was asked: please correct the fields marked below."), "error")
    return render_template("polls/ask.html", meeting=meeting, poll=poll, form=form), code


@bp.post("/meetings/<id:meeting_id>/poll/key-organisations")
@secretariat_required
def key_organisations(meeting_id: int):
    meeting = get_meeting_or_404(meeting_id)
    poll = _poll_or_404(meeting)
    form = KeyOrganisationsForm()
    if not form.validate():
        flash(_("The key organisations were not saved."), "error")
        return _render_poll(meeting, key_form=form, code=400)
    try:
        service.set_key_organisations(poll, form.organisation_ids.data or (), by=current_user)
    except service.PollInputError as error:
        db.session.rollback()
        form.organisation_ids.errors = [str(error)]
        return _render_poll(get_meeting_or_404(meeting_id), key_form=form, code=error.status)
    except service.PollError as error:
        return _refused(error, meeting)
    db.session.commit()
    flash(_("The key organisations were saved."), "success")
    return redirect(url_for("polls.show", meeting_id=meeting.id, _anchor="key-organisations"))


@bp.post("/meetings/<id:meeting_id>/poll/remind")
@secretariat_required
def remind(meeting_id: int):
    meeting = get_meeting_or_404(meeting_id)
    poll = _poll_or_404(meeting)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        count = reminders.remind_unanswered_now(poll, by=current_user)
    except service.PollError as error:
        return _refused(error, meeting)
    db.session.commit()
    flash(
        ngettext(
            "A reminder was queued for %(num)s person who has not answered.",
            "Reminders were queued for %(num)s people who have not answered.",
            count,
        ),
        "success" if count else "info",
    )
    return redirect(url_for("polls.show", meeting_id=meeting.id, _anchor="people"))
