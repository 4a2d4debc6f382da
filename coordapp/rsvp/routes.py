"""The participant's personal RSVP page: no account, just the link from the invitation.

The token in the URL is checked (web.py) before anything else; a wrong one counts
against the client's address, so guessing is throttled while a real invitee, whose
token is right, is never blocked.
"""

from __future__ import annotations

from flask import Blueprint, Response, redirect, render_template, request, url_for
from flask_babel import gettext as _

from coordapp import feature
from coordapp.access import public
from coordapp.errors import DomainError
from coordapp.extensions import db
from coordapp.i18n import use_link_language
from coordapp.ics import meeting_calendar
from coordapp.invitations import answers
from coordapp.invitations.links import RSVP_LINK, invitation_by_link, invitation_to_answer
from coordapp.models import Invitation, MeetingStatus
from coordapp.rsvp import pages
from coordapp.rsvp.forms import AnswerForm, SubstituteForm
from coordapp.web import load_by_link

bp = Blueprint("rsvp", __name__)


@bp.after_request
def _keep_personal_pages_private(response: Response) -> Response:
    # The page carries a personal link: no caches (coordapp/headers.py) and no Referer to
    # outside sites (the online meeting link, for one): Referrer-Policy same-origin, there
    # too, since its own forms need the Referer over HTTPS (Flask-WTF checks it).
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _problem(code: int, message: str):
    return render_template("rsvp/problem.html", code=code, message=message), code


@bp.errorhandler(403)
@bp.errorhandler(404)
@bp.errorhandler(409)
@bp.errorhandler(410)
@bp.errorhandler(429)
def _problem_page(error):
    return _problem(error.code, error.description)


@bp.errorhandler(DomainError)
def _refused_page(error: DomainError):
    # A right link the feature refuses (a withdrawn invitation: 410), on this page's look.
    db.session.rollback()
    return _problem(error.status, error.message)


def _render_page(
    invitation: Invitation,
    *,
    answer_form: AnswerForm | None = None,
    substitute_form: SubstituteForm | None = None,
    error: str | None = None,
    code: int = 200,
):
    meeting = invitation.meeting
    if answer_form is None:
        answer_form = AnswerForm()
        if invitation.status in answers.ANSWERS:
            answer_form.status.data = invitation.status.value
        elif invitation.status.value == "waitlisted":
            answer_form.status.data = "accepted"
        if invitation.attendance_mode is not None:
            answer_form.mode.data = invitation.attendance_mode.value
        answer_form.needs.data = invitation.needs
        answer_form.comment.data = invitation.comment
    return (
        render_template(
            "rsvp/show.html",
            token=request.view_args["token"],
            invitation=invitation,
            meeting=meeting,
            contact=invitation.contact,
            closed_reason=answers.answers_closed_reason(invitation),
            deadline=answers.answer_deadline(meeting),
            cancelled=meeting.status == MeetingStatus.CANCELLED,
            summary=answers.answer_summary(invitation),
            hybrid=meeting.is_hybrid,
            # An online link in every invitation is an open door: only for who accepted.
            online_url=invitation.visible_online_url,
            answer_form=answer_form,
            substitute_form=substitute_form or SubstituteForm(),
            done=request.args.get("done") if request.method == "GET" else None,
            error=error,
            # The sections other features own (coordapp/feature.py), loaded.
            sections=feature.rsvp_sections(invitation),
        ),
        code,
    )


@bp.route("/rsvp/<token>", methods=["GET", "POST"])
@public
def show(token: str):
    loader = invitation_to_answer if request.method == "POST" else pages.invitation_for_page
    invitation = load_by_link(token, RSVP_LINK, loader)
    use_link_language(token, invitation.contact.language)
    if request.method == "GET":
        return _render_page(invitation)

    closed = answers.answers_closed_reason(invitation)
    if closed:
        db.session.rollback()  # let go of the answer's lock before rendering the page
        return _render_page(invitation, error=closed, code=409)
    form = AnswerForm()
    if not form.validate():
        db.session.rollback()
        return _render_page(
            invitation,
            answer_form=form,
            error=_("Your answer was not saved. Please correct the marked fields."),
            code=400,
        )
    try:
        answers.record_answer(
            invitation,
            form.answer,
            needs=form.needs.data or "",
            comment=form.comment.data or "",
            mode=form.attendance_mode,
        )
    except answers.AnswerError as error:
        db.session.rollback()
        if isinstance(error, answers.ModeMissing):
            form.mode.errors = [*form.mode.errors, str(error)]
        return _render_page(invitation, answer_form=form, error=str(error), code=error.status)
    db.session.commit()
    return redirect(url_for("rsvp.show", token=token, done="answer"), code=303)


@bp.post("/rsvp/<token>/substitute")
@public
def substitute(token: str):
    invitation = load_by_link(token, RSVP_LINK, invitation_by_link)
    use_link_language(token, invitation.contact.language)
    closed = answers.answers_closed_reason(invitation)
    if closed:
        return _render_page(invitation, error=closed, code=409)
    form = SubstituteForm()
    if not form.validate():
        return _render_page(
            invitation,
            substitute_form=form,
            error=_("Your substitute was not saved. Please correct the marked fields."),
            code=400,
        )
    try:
        answers.delegate_to_substitute(
            invitation, name=form.name.data, email=form.email.data, position=form.position.data
        )
    except answers.SubstituteError as error:
        db.session.rollback()
        form.email.errors = list(form.email.errors) + [str(error)]
        return _render_page(invitation, substitute_form=form, error=str(error), code=error.status)
    except answers.AnswerError as error:
        db.session.rollback()
        return _render_page(invitation, substitute_form=form, error=str(error), code=error.status)
    db.session.commit()
    return redirect(url_for("rsvp.show", token=token, done="substitute"), code=303)


@bp.get("/rsvp/<token>/calendar.ics")
@public
def calendar(token: str):
    invitation = load_by_link(token, RSVP_LINK, invitation_by_link)
    meeting = invitation.meeting
    method = "CANCEL" if meeting.status == MeetingStatus.CANCELLED else "REQUEST"
    body = meeting_calendar(meeting, method, attendee=invitation)
    return Response(
        body,
        content_type=f"text/calendar; charset=utf-8; method={method}",
        headers={"Content-Disposition": f'attachment; filename="meeting-{meeting.id}.ics"'},
    )
