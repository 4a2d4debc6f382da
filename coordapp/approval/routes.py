"""Submitting minutes for approval, the chairs' approval page, returns and amendments."""

from __future__ import annotations

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload

from coordapp.access import login_required, secretariat_required
from coordapp.approval import service
from coordapp.approval.forms import AmendForm, ApproveForm, ReturnForm, SubmitForm
from coordapp.extensions import db
from coordapp.minutes import service as minutes_service
from coordapp.models.approval import MinutesDocument, SignatureStatus
from coordapp.models.minutes import MinutesStatus, MinutesVersion
from coordapp.web import get_meeting_or_404

bp = Blueprint("approval", __name__)


def _user():
    return current_user._get_current_object()


def meeting_section(meeting, viewer) -> dict:
    """The meeting page's "Minutes" section: the approval box and its buttons' forms."""
    return {
        "box": service.meeting_section(meeting, viewer),
        "forms": {"submit": SubmitForm(formdata=None), "amend": AmendForm(formdata=None)},
    }


def _get_version(version_id: int) -> MinutesVersion:
    version = db.session.get(
        MinutesVersion, version_id, options=[joinedload(MinutesVersion.amends)]
    )
    if version is None:
        abort(404, _("This version of the minutes does not exist."))
    return version


def _render_version(
    version: MinutesVersion,
    *,
    code: int = 200,
    error: str | None = None,
    return_form: ReturnForm | None = None,
    amend_form: AmendForm | None = None,
):
    meeting = get_meeting_or_404(version.meeting_id)
    user = _user()
    status = service.version_status(meeting, version)
    my_line = next((line for line in status.chairs if line.chair.user_id == user.id), None)
    my_approval = my_line.approval if my_line else None
    signing = my_approval is not None and my_approval.status is SignatureStatus.PENDING
    can_approve = (
        my_line is not None and my_approval is None and version.status is MinutesStatus.SUBMITTED
    )
    return make_response(
        render_template(
            "approval/version.html",
            status=status,
            my_approval=my_approval,
            signing=signing,
            can_approve=can_approve,
            can_return=my_line is not None and service.can_return(user, version),
            can_submit=service.can_submit(user, version)
            and meeting.status in service.SUBMITTABLE_MEETING_STATUSES,
            can_amend=service.can_amend(user, version),
            approve_form=ApproveForm(formdata=None),
            return_form=return_form or ReturnForm(formdata=None),
            return_failed=return_form is not None,
            submit_form=SubmitForm(formdata=None),
            amend_form=amend_form or AmendForm(formdata=None),
            amend_failed=amend_form is not None,
            error=error,
            document=db.session.scalar(
                sa.select(MinutesDocument).where(MinutesDocument.version_id == version.id)
            ),
            **minutes_service.document_context(meeting, version),
        ),
        code,
    )


@bp.get("/minutes/versions/<id:version_id>")
@login_required
def version(version_id: int):
    version = _get_version(version_id)
    if not service.can_view_version(current_user, version):
        abort(403)
    return _render_version(version)


@bp.post("/meetings/<id:meeting_id>/minutes/submit")
@secretariat_required
def submit(meeting_id: int):
    meeting = get_meeting_or_404(meeting_id)
    version = minutes_service.latest_version(meeting)
    if version is None:
        abort(409, _("Nobody has written these minutes yet."))
    form = SubmitForm()
    if not form.validate():
        return _render_version(version, code=400, error=_("Please try again."))
    try:
        service.submit_for_approval(version, _user())
    except service.ApprovalError as refused:
        db.session.rollback()
        return _render_version(version, code=refused.status, error=refused.message)
    db.session.commit()
    service.request_rendering(version.id)
    flash(
        _(
            "Version %(number)s of the minutes is submitted for approval; the chairs "
            "have been emailed.",
            number=version.number,
        ),
        "success",
    )
    return redirect(url_for("approval.version", version_id=version.id))


@bp.post("/minutes/versions/<id:version_id>/approve")
@login_required
def approve(version_id: int):
    version = _get_version(version_id)
    if not service.is_chair(current_user, version.meeting_id):
        abort(403, _("Only the chairs of the meeting can approve its minutes."))
    form = ApproveForm()
    if not form.validate():
        return _render_version(version, code=400, error=_("Please try again."))
    try:
        approval = service.approve(version, _user())
    except service.ApprovalError as refused:
        db.session.rollback()
        return _render_version(version, code=refused.status, error=refused.message)
    # Read before commit: the other chair may return the minutes, deleting this approval,
    # the moment it is committed (the worker then finds nothing to sign).
    approval_id = approval.id
    db.session.commit()
    service.request_signature(approval_id)
    flash(_("Thank you: you approved the minutes. Your signature is being added…"), "success")
    return redirect(url_for("approval.version", version_id=version_id))


@bp.post("/minutes/versions/<id:version_id>/return")
@login_required
def return_version(version_id: int):
    version = _get_version(version_id)
    if not service.is_chair(current_user, version.meeting_id):
        abort(403, _("Only the chairs of the meeting can return its minutes."))
    form = ReturnForm()
    if not form.validate():
        return _render_version(version, code=400, return_form=form)
    try:
        service.return_version(version, _user(), form.comment.data)
    except service.ApprovalError as refused:
        db.session.rollback()
        return _render_version(
            version, code=refused.status, error=refused.message, return_form=form
        )
    db.session.commit()
    flash(
        _("You returned the minutes to the secretariat with your comment."),
        "success",
    )
    return redirect(url_for("approval.version", version_id=version_id))


@bp.post("/minutes/versions/<id:version_id>/amend")
@secretariat_required
def amend(version_id: int):
    version = _get_version(version_id)
    form = AmendForm()
    if not form.validate():
        return _render_version(version, code=400, amend_form=form)
    try:
        amendment = service.create_amendment(version, form.reason.data, _user())
    except service.ApprovalError as refused:
        db.session.rollback()
        return _render_version(version, code=refused.status, error=refused.message, amend_form=form)
    db.session.commit()
    flash(
        _(
            "Version %(number)s is open as a draft amendment: correct the minutes, then "
            "submit it for approval.",
            number=amendment.number,
        ),
        "success",
    )
    return redirect(url_for("minutes.index", meeting_id=version.meeting_id))
