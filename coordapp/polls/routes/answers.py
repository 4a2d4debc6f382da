"""The personal page where someone asked answers the poll: no account, just the link
from the poll's email (same link scheme and throttling as the RSVP page: a wrong token
counts against the client's address).

Per slot a radio group yes / if need be / no in a fieldset whose legend names the slot;
an optional comment; answers change until the deadline, then (or once the date is
chosen) the page is read-only. What the person sees of the others is the poll's choice:
counts per slot, or names and answers.
"""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, Response, redirect, render_template, request, url_for
from flask_babel import gettext as _

from coordapp.access import public
from coordapp.extensions import db
from coordapp.i18n import use_link_language
from coordapp.models import POLL_CHOICE_LABELS, PollChoice, PollRespondent, PollVisibility
from coordapp.polls import overview, service
from coordapp.polls.forms import AnswerCommentForm
from coordapp.web import load_by_link

bp = Blueprint("poll_answer", __name__)

CHOICES = list(PollChoice)


@bp.after_request
def _keep_personal_pages_private(response: Response) -> Response:
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


@bp.errorhandler(403)
@bp.errorhandler(404)
@bp.errorhandler(409)
@bp.errorhandler(410)
@bp.errorhandler(429)
def _problem_page(error):
    return render_template("rsvp/problem.html", code=error.code, message=error.description), (
        error.code
    )


def _language(respondent: PollRespondent) -> str | None:
    return respondent.user.language if respondent.is_chair else respondent.contact.language


def _seen_value(slot) -> str:
    return f"{slot.starts_at.isoformat()}/{slot.ends_at.isoformat()}"


def _render(
    respondent: PollRespondent,
    *,
    chosen: dict[int, str] | None = None,
    form: AnswerCommentForm | None = None,
    error: str | None = None,
    code: int = 200,
):
    poll = respondent.poll
    meeting = poll.meeting
    slots = list(poll.slots)
    mine = {a.slot_id: a.choice for a in respondent.answers}
    if form is None:
        form = AnswerCommentForm(formdata=None, comment=respondent.comment)
    names = poll.visibility == PollVisibility.NAMES
    others = []
    if names:
        grid = overview.answers_by_respondent(poll)
        others = [
            (person, grid.get(person.id, {}))
            for person in overview.respondents(poll)
            if person.id != respondent.id
        ]
    return (
        render_template(
            "polls/answer.html",
            token=request.view_args["token"],
            respondent=respondent,
            poll=poll,
            meeting=meeting,
            slots=slots,
            chosen=chosen if chosen is not None else {k: v.value for k, v in mine.items()},
            mine=mine,
            choices=CHOICES,
            choice_labels=POLL_CHOICE_LABELS,
            counts=overview.answer_counts(poll),
            others=others,
            show_names=names,
            closed_reason=service.answers_closed_reason(poll),
            chosen_slot=poll.chosen_slot,
            form=form,
            error=error,
            done=request.args.get("done") if request.method == "GET" else None,
            seen_value=_seen_value,
        ),
        code,
    )


def _parse_seen(value: str | None) -> tuple[datetime, datetime] | None:
    try:
        start, end = (value or "").split("/")
        return datetime.fromisoformat(start), datetime.fromisoformat(end)
    except ValueError:
        return None


def _posted_choices() -> tuple[dict[int, str], dict[int, tuple[datetime, datetime]], bool]:
    """The slots' answers as posted ({slot id: choice}), the slot times the page showed,
    and whether anything posted could not be understood."""
    choices: dict[int, str] = {}
    seen: dict[int, tuple[datetime, datetime]] = {}
    bad = False
    for name, value in request.form.items():
        if name.startswith("slot-"):
            try:
                slot_id = int(name.removeprefix("slot-"))
            except ValueError:
                bad = True
                continue
            if value not in {c.value for c in PollChoice} or not 0 < slot_id < 2**31:
                bad = True
                continue
            choices[slot_id] = value
        elif name.startswith("seen-"):
            try:
                slot_id = int(name.removeprefix("seen-"))
            except ValueError:
                bad = True
                continue
            times = _parse_seen(value)
            if times is None:
                bad = True
            else:
                seen[slot_id] = times
    return choices, seen, bad


@bp.route("/poll/<token>", methods=["GET", "POST"])
@public
def show(token: str):
    find = service.respondent_for_page if request.method == "GET" else service.respondent_by_link
    respondent = load_by_link(token, service.POLL_LINK, find)
    use_link_language(token, _language(respondent))
    if request.method == "GET":
        return _render(respondent)

    closed = service.answers_closed_reason(respondent.poll)
    if closed:
        return _render(respondent, error=closed, code=409)
    form = AnswerCommentForm()
    choices, seen, bad = _posted_choices()
    if not form.validate() or bad:
        return _render(
            respondent,
            chosen=choices,
            form=form,
            error=_("Your answers were not saved. Please correct the marked fields."),
            code=400,
        )
    try:
        service.answer(respondent, choices, form.comment.data, seen=seen)
    except service.PollError as error:
        db.session.rollback()
        respondent = load_by_link(token, service.POLL_LINK, service.respondent_by_link)
        return _render(respondent, chosen=choices, form=form, error=str(error), code=error.status)
    db.session.commit()
    return redirect(url_for("poll_answer.show", token=token, done="1"), code=303)
