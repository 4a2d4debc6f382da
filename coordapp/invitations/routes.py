"""The secretariat's invitation pages: invite, follow answers and delivery, act on one."""

from __future__ import annotations

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from coordapp.access import secretariat_required
from coordapp.extensions import db
from coordapp.inputs import ConfirmForm, bounded_int
from coordapp.invitations import organisations, reminders, service
from coordapp.invitations.forms import ANSWER_STATUSES, AnswerOnBehalfForm, InviteForm
from coordapp.models import (
    Category,
    Invitation,
    InvitationStatus,
    Meeting,
    OutgoingMessage,
)
from coordapp.web import get_meeting_or_404, get_or_404

bp = Blueprint("invitations", __name__)


def _invitation_or_404(invitation_id: int) -> Invitation:
    return get_or_404(
        Invitation,
        invitation_id,
        *service.invitation_page_options(),
        message=_l("This invitation does not exist."),
    )


PER_PAGE = 100


def _closed_message(meeting: Meeting) -> str:
    return _(
        "This meeting is %(status)s: it cannot take new invitations.",
        status=meeting.status.label.lower(),
    )


# --- inviting ----------------------------------------------------------------------------


def _fill_invite_choices(form: InviteForm) -> None:
    form.contact_ids.choices, form.organisation_ids.choices = service.invitee_choices()


@bp.route("/meetings/<id:meeting_id>/invitations/new", methods=["GET", "POST"])
@secretariat_required
def new(meeting_id: int):
    meeting = get_meeting_or_404(meeting_id)
    form = InviteForm()
    if not service.can_invite_to(meeting):
        if request.method == "POST":
            flash(_closed_message(meeting), "error")
        return (
            render_template(
                "invitations/new.html",
                meeting=meeting,
                form=None,
                closed_message=_closed_message(meeting),
            ),
            409,
        )
    if form.validate_on_submit():
        try:
            result = service.invite_chosen(
                meeting,
                by=current_user,
                contact_ids=form.contact_ids.data or (),
                organisation_ids=form.organisation_ids.data or (),
                categories=form.chosen_categories,
                series_default_list=form.series_default_list.data,
            )
            db.session.commit()
        except IntegrityError:
            # Someone invited some of the same people at the same moment.
            db.session.rollback()
            abort(409, _("These invitations changed meanwhile. Please try again."))
        flash(
            ngettext("%(num)s contact invited.", "%(num)s contacts invited.", result.invited_count),
            "success" if result.invited_count else "info",
        )
        if result.already_invited or result.inactive_skipped:
            return render_template("invitations/invite_result.html", meeting=meeting, result=result)
        return redirect(url_for("invitations.index", meeting_id=meeting.id))
    _fill_invite_choices(form)
    code = 400 if request.method == "POST" else 200
    return render_template("invitations/new.html", meeting=meeting, form=form), code


# --- the list ----------------------------------------------------------------------------


def _filters() -> service.ListFilter:
    try:
        return service.ListFilter.parse(
            request.args.get("status"),
            request.args.get("category"),
            request.args.get("organisation"),
        )
    except ValueError:
        abort(400, _("Unknown status, category or organisation in the filter."))


def _order() -> service.ListOrder:
    return service.ListOrder.parse(request.args.get("sort"), request.args.get("dir"))


@bp.get("/meetings/<id:meeting_id>/invitations")
@secretariat_required
def index(meeting_id: int):
    meeting = get_meeting_or_404(meeting_id)
    filters = _filters()
    order = _order()
    # The page's ids first (sorted, cut), then those rows with what they show; the total
    # by a count without sort or joins: a page of 10,000 invitations stays fast.
    pagination = db.paginate(
        service.invitation_ids_query(meeting, filters, order),
        page=request.args.get("page", 1, type=bounded_int),
        per_page=PER_PAGE,
        error_out=False,
        count=False,
    )
    pagination.total = service.invitations_count(meeting, filters)
    shown_ids = list(pagination.items)
    invitations = service.invitations_in_order(shown_ids, order)
    grouped = organisations.by_organisation(meeting)
    counts = service.invitation_counts(meeting.id, per_category=grouped.invited_by_category())
    return render_template(
        "invitations/index.html",
        meeting=meeting,
        filters=filters,
        args=filters.args(),
        order=order,
        shown_args={**filters.args(), **order.args()},  # the same list: page, CSV
        pagination=pagination,
        invitations=invitations,
        counts=counts,
        by_organisation=grouped,
        filtered_organisation=grouped.organisation(filters.organisation_id),
        accepted_label=InvitationStatus.ACCEPTED.label,
        declined_label=InvitationStatus.DECLINED.label,
        pending_label=InvitationStatus.PENDING.label,
        pending_count=counts.by_status[InvitationStatus.PENDING],
        deliveries=service.latest_delivery(meeting.id, shown_ids) if invitations else {},
        received=service.received_counts(shown_ids) if invitations else {},
        waiting=service.waiting_positions(meeting.id, shown_ids),
        recorders=service.users_by_id(i.response_recorded_by_id for i in invitations),
        statuses=list(InvitationStatus),
        categories=list(Category),
        action_form=ConfirmForm(),
        invite_open=service.can_invite_to(meeting),
        status_text=service.status_text,
        rsvp_url=service.rsvp_url,
    )


@bp.get("/meetings/<id:meeting_id>/invitations.csv")
@secretariat_required
def export(meeting_id: int):
    meeting = get_meeting_or_404(meeting_id)
    filters = _filters()
    invitations = db.session.scalars(service.invitations_query(meeting, filters, _order())).unique()
    body = service.invitations_csv(invitations, service.waiting_positions(meeting.id))
    return Response(
        body,
        mimetype="text/csv",
        headers={
            "Content-Disposition": f"attachment; filename=meeting-{meeting.id}-invitations.csv"
        },
    )


@bp.post("/meetings/<id:meeting_id>/invitations/remind")
@secretariat_required
def remind(meeting_id: int):
    meeting = get_meeting_or_404(meeting_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    count = reminders.remind_pending_now(meeting, current_user)
    db.session.commit()
    flash(
        ngettext(
            "A reminder was queued for %(num)s invitee who has not answered.",
            "Reminders were queued for %(num)s invitees who have not answered.",
            count,
        ),
        "success" if count else "info",
    )
    return redirect(url_for("invitations.index", meeting_id=meeting.id))


@bp.post("/meetings/<id:meeting_id>/invitations/remind-focal-points")
@secretariat_required
def remind_focal_points(meeting_id: int):
    """The button of the "By organisation" section: one reminder to each focal point
    whose organisation has nominated no one (the nominations feature writes them)."""
    meeting = get_meeting_or_404(meeting_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    count = organisations.REMIND_FOCAL_POINTS(meeting, by=current_user)
    db.session.commit()
    flash(
        ngettext(
            "A reminder was queued for %(num)s focal point.",
            "Reminders were queued for %(num)s focal points.",
            count,
        ),
        "success" if count else "info",
    )
    return redirect(url_for("invitations.index", meeting_id=meeting.id, _anchor="organisations"))


# --- one invitation ----------------------------------------------------------------------


def _render_invitation(invitation: Invitation, answer_form=None, code: int = 200):
    messages = db.session.scalars(
        sa.select(OutgoingMessage)
        .where(OutgoingMessage.invitation_id == invitation.id)
        .order_by(OutgoingMessage.id.desc())
    ).all()
    recorder = service.users_by_id([invitation.response_recorded_by_id])
    form = answer_form or AnswerOnBehalfForm()
    if answer_form is None:
        if invitation.status in ANSWER_STATUSES:
            form.status.data = invitation.status.value
        form.needs.data = invitation.needs
        form.comment.data = invitation.comment
    return (
        render_template(
            "invitations/show.html",
            invitation=invitation,
            meeting=invitation.meeting,
            link=service.rsvp_url(invitation),
            messages=messages,
            received=service.received_messages(invitation.id),
            recorded_by=recorder.get(invitation.response_recorded_by_id),
            waiting=service.waiting_positions(invitation.meeting_id),
            status_text=service.status_text,
            answer_form=form,
            action_form=ConfirmForm(),
            is_open=service.can_invite_to(invitation.meeting) and not invitation.is_withdrawn,
        ),
        code,
    )


@bp.get("/invitations/<id:invitation_id>")
@secretariat_required
def show(invitation_id: int):
    return _render_invitation(_invitation_or_404(invitation_id))


def _refused(invitation: Invitation, message: str):
    db.session.rollback()
    flash(message, "error")
    return _render_invitation(_invitation_or_404(invitation.id), code=409)


def _not_open_message(invitation: Invitation) -> str:
    if invitation.is_withdrawn:
        return _("This invitation was withdrawn.")
    return _(
        "This meeting is %(status)s: invitations can no longer change.",
        status=invitation.meeting.status.label.lower(),
    )


@bp.post("/invitations/<id:invitation_id>/resend")
@secretariat_required
def resend(invitation_id: int):
    invitation = _invitation_or_404(invitation_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        service.resend_invitation(invitation, by=current_user)
    except service.InvitationError:
        return _refused(invitation, _not_open_message(invitation))
    db.session.commit()
    flash(
        _("The invitation to %(name)s was queued again.", name=invitation.contact.name), "success"
    )
    return redirect(url_for("invitations.show", invitation_id=invitation.id))


@bp.post("/invitations/<id:invitation_id>/withdraw")
@secretariat_required
def withdraw(invitation_id: int):
    invitation = _invitation_or_404(invitation_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        service.withdraw_invitation(invitation, by=current_user)
    except service.InvitationError:
        return _refused(invitation, _("This invitation was already withdrawn."))
    db.session.commit()
    flash(
        _(
            "The invitation to %(name)s was withdrawn; the personal link no longer works.",
            name=invitation.contact.name,
        ),
        "success",
    )
    return redirect(url_for("invitations.index", meeting_id=invitation.meeting_id))


@bp.post("/invitations/<id:invitation_id>/answer")
@secretariat_required
def answer(invitation_id: int):
    invitation = _invitation_or_404(invitation_id)
    form = AnswerOnBehalfForm()
    if not form.validate_on_submit():
        flash(_("The answer was not recorded: please correct the fields marked below."), "error")
        return _render_invitation(invitation, answer_form=form, code=400)
    try:
        recorded = service.answer_on_behalf(
            invitation,
            InvitationStatus(form.status.data),
            needs=form.needs.data or "",
            comment=form.comment.data or "",
            by=current_user,
        )
    except service.InvitationError as error:
        return _refused(invitation, str(error) or _not_open_message(invitation))
    db.session.commit()
    flash(
        _(
            "Answer recorded on behalf of %(name)s: %(status)s.",
            name=invitation.contact.name,
            status=recorded.label,
        ),
        "success",
    )
    return redirect(url_for("invitations.show", invitation_id=invitation.id))
