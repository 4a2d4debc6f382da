"""Nominations: the secretariat asks organisations and follows them; the focal point
names delegates through a personal link (no account), as an invitee answers."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, undefer

from coordapp.access import public, secretariat_required
from coordapp.extensions import db
from coordapp.i18n import use_link_language
from coordapp.inputs import ConfirmForm
from coordapp.invitations import service as invitations_service
from coordapp.links import NOMINATION_PURPOSE, PersonalLink, nomination_url
from coordapp.models import (
    DocumentStatus,
    Meeting,
    MeetingChair,
    NominationLetter,
    NominationRequest,
    Organisation,
)
from coordapp.nominations import service, tasks
from coordapp.nominations.forms import AskForm, NomineeForm, WithdrawForm
from coordapp.web import get_meeting_or_404, load_by_link

bp = Blueprint("nominations", __name__)


# --- the secretariat ---------------------------------------------------------------------


@bp.get("/meetings/<id:meeting_id>/nominations")
@secretariat_required
def index(meeting_id: int):
    """The requests: focal points, links, deadlines, letters. What the organisations'
    people answered, and the reminder, are on the invitations page (by organisation)."""
    meeting = get_meeting_or_404(meeting_id)
    rows = service.overview(meeting)
    return render_template(
        "nominations/index.html",
        meeting=meeting,
        rows=rows,
        unreachable=[row.request.organisation for row in rows if not row.request.sent_to],
        links={row.request.id: nomination_url(row.request) for row in rows},
        action_form=ConfirmForm(),
        can_ask=invitations_service.can_invite_to(meeting),
    )


def _organisation_choices(form: AskForm) -> dict[str, int]:
    organisations = db.session.scalars(
        sa.select(Organisation).where(Organisation.active.is_(True)).order_by(Organisation.name)
    ).all()
    form.organisation_ids.choices = [(o.id, o.display_name) for o in organisations]
    names = {o.name.casefold(): o.id for o in organisations}
    names.update({o.acronym.casefold(): o.id for o in organisations if o.acronym})
    return names


@bp.route("/meetings/<id:meeting_id>/nominations/new", methods=["GET", "POST"])
@secretariat_required
def new(meeting_id: int):
    meeting = get_meeting_or_404(meeting_id)
    form = AskForm()
    names = _organisation_choices(form)
    if request.method == "GET":
        form.deadline.data = meeting.local(service.default_deadline(meeting)).replace(
            tzinfo=None, second=0, microsecond=0
        )
    error = None
    if form.validate_on_submit():
        try:
            overrides = form.parsed_overrides(names)
        except ValueError as line:
            form.overrides.errors = [
                _("This line is not “organisation: number of places”: %(line)s", line=str(line))
            ]
        else:
            organisations = service.organisations_to_ask(
                form.organisation_ids.data or (), form.chosen_categories
            )
            try:
                result = service.ask_to_nominate(
                    meeting,
                    organisations,
                    places=form.places.data,
                    overrides=overrides,
                    deadline=form.deadline_utc(meeting.timezone),
                    by=current_user,
                )
                db.session.commit()
                # Enqueued after the commit, so the worker finds the rows: one job,
                # which queues one per letter.
                if result.letter_ids:
                    tasks.render_nomination_letters(result.letter_ids)
            except service.NominationError as problem:
                db.session.rollback()
                error = str(problem)
            except service.NominationsClosed as problem:
                db.session.rollback()
                abort(problem.status, str(problem))
            except IntegrityError:
                db.session.rollback()
                abort(409, _("These nominations changed meanwhile. Please try again."))
            else:
                flash(
                    ngettext(
                        "%(num)s organisation asked to nominate.",
                        "%(num)s organisations asked to nominate.",
                        len(result.asked),
                    ),
                    "success" if result.asked else "info",
                )
                if result.unreachable:
                    flash(
                        _(
                            "These organisations have neither a focal point nor a general "
                            "email address: send them their link yourself: %(names)s",
                            names=", ".join(o.name for o in result.unreachable),
                        ),
                        "error",
                    )
                return redirect(url_for("nominations.index", meeting_id=meeting.id))
    code = 400 if request.method == "POST" else 200
    return (
        render_template("nominations/new.html", meeting=meeting, form=form, error=error),
        code,
    )


@bp.get("/meetings/<id:meeting_id>/nominations/<id:nomination_id>/letter.pdf")
@secretariat_required
def letter(meeting_id: int, nomination_id: int):
    """The organisation's official letter, as the worker rendered it."""
    document = db.session.scalar(
        sa.select(NominationLetter)
        .join(NominationRequest, NominationRequest.letter_document_id == NominationLetter.id)
        .where(
            NominationRequest.id == nomination_id,
            NominationRequest.meeting_id == meeting_id,
        )
        .options(undefer(NominationLetter.data))
    )
    if document is None:
        abort(404, _("This letter does not exist."))
    if document.status != DocumentStatus.READY or document.data is None:
        abort(409, _("This letter is not ready yet. Please try again in a moment."))
    return Response(
        document.data,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{document.filename}"'},
    )


# --- the focal point's page --------------------------------------------------------------

_INVALID = _l("This nomination link is not valid. Please check the link in your email.")
NOMINATION_LINK = PersonalLink(NOMINATION_PURPOSE, _INVALID)


def _request_by_link(link_id: str) -> NominationRequest | None:
    return db.session.scalar(
        sa.select(NominationRequest)
        .where(NominationRequest.link_id == link_id)
        .options(
            joinedload(NominationRequest.meeting).joinedload(Meeting.series),
            joinedload(NominationRequest.meeting)
            .selectinload(Meeting.chairs)
            .joinedload(MeetingChair.user),
            joinedload(NominationRequest.organisation),
            joinedload(NominationRequest.focal_point),
        )
    )


def _load(token: str) -> NominationRequest:
    found = load_by_link(token, NOMINATION_LINK, _request_by_link)
    # As on the RSVP page: the person's language (the focal point's), else the request's.
    point = found.focal_point
    use_link_language(token, point.language if point is not None else found.language)
    return found


@bp.after_request
def _keep_personal_pages_private(response: Response) -> Response:
    if request.endpoint in (
        "nominations.page",
        "nominations.withdraw",
        "nominations.nominate_self",
    ):
        response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _render_page(
    nomination: NominationRequest,
    token: str,
    *,
    form: NomineeForm | None = None,
    error: str | None = None,
    code: int = 200,
):
    meeting = nomination.meeting
    current = service.nominees(nomination)
    point = nomination.focal_point
    if form is None:
        form = NomineeForm(formdata=None)
        form.language.data = nomination.language
    return (
        render_template(
            "nominations/page.html",
            token=token,
            nomination=nomination,
            meeting=meeting,
            organisation=nomination.organisation,
            focal_point=point,
            nominees=current,
            places_left=max(nomination.places - len(current), 0),
            closed_reason=service.closed_reason(nomination),
            hybrid=meeting.is_hybrid,
            form=form,
            withdraw_form=WithdrawForm(formdata=None),
            self_form=ConfirmForm(formdata=None),
            error=error,
            done=request.args.get("done") if request.method == "GET" else None,
        ),
        code,
    )


def _refuse(nomination, token, form, problem) -> tuple:
    db.session.rollback()
    nomination = _request_by_link(nomination.link_id)
    status = getattr(problem, "status", 409)
    if isinstance(problem, service.NominationError) and form is not None:
        form.email.errors = [*form.email.errors, str(problem)]
    return _render_page(nomination, token, form=form, error=str(problem), code=status)


@bp.route("/nominate/<token>", methods=["GET", "POST"])
@public
def page(token: str):
    nomination = _load(token)
    if request.method == "GET":
        return _render_page(nomination, token)
    form = NomineeForm()
    if not form.validate():
        return _render_page(
            nomination,
            token,
            form=form,
            error=_("The nomination was not saved. Please correct the marked fields."),
            code=400,
        )
    nominee = service.Nominee(
        name=form.name.data,
        email=form.email.data,
        position=form.position.data or "",
        language=form.language.data,
        needs=form.needs.data or "",
        mode=form.attendance_mode,
    )
    try:
        if form.replaced_id:
            service.replace(nomination, form.replaced_id, nominee)
        else:
            service.nominate(nomination, nominee)
    except (service.NominationError, service.NominationsClosed, service.NoPlacesLeft) as problem:
        return _refuse(nomination, token, form, problem)
    db.session.commit()
    return redirect(url_for("nominations.page", token=token, done="nominated"), code=303)


@bp.post("/nominate/<token>/self")
@public
def nominate_self(token: str):
    """The focal point nominates themselves (their directory entry as it is)."""
    nomination = _load(token)
    point = nomination.focal_point
    if point is None or not ConfirmForm().validate():
        abort(404, str(_INVALID))
    form = NomineeForm(formdata=request.form)
    nominee = service.Nominee(
        name=point.name,
        email=point.email,
        position=point.position or "",
        language=point.language,
        mode=form.attendance_mode,
    )
    try:
        service.nominate(nomination, nominee)
    except (service.NominationError, service.NominationsClosed, service.NoPlacesLeft) as problem:
        return _refuse(nomination, token, None, problem)
    db.session.commit()
    return redirect(url_for("nominations.page", token=token, done="nominated"), code=303)


@bp.post("/nominate/<token>/withdraw")
@public
def withdraw(token: str):
    nomination = _load(token)
    form = WithdrawForm()
    if not form.validate() or form.chosen_id is None:
        abort(404, str(_INVALID))
    try:
        service.withdraw(nomination, form.chosen_id)
    except (service.NominationError, service.NominationsClosed) as problem:
        return _refuse(nomination, token, None, problem)
    db.session.commit()
    return redirect(url_for("nominations.page", token=token, done="withdrawn"), code=303)
