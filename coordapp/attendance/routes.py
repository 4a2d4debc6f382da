"""The meeting day: the attendance sheet, walk-ins and marking the meeting held."""

from __future__ import annotations

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from coordapp.access import secretariat_required
from coordapp.attendance import service
from coordapp.attendance.forms import AttendanceSheetForm, MarkHeldForm, WalkInForm
from coordapp.errors import wants_json
from coordapp.extensions import db
from coordapp.models import Attendance, Meeting, MeetingStatus, Organisation
from coordapp.web import get_meeting_or_404

bp = Blueprint("attendance", __name__)


def _organisations() -> list[Organisation]:
    """Every organisation: someone may well represent an inactive one."""
    return list(db.session.scalars(sa.select(Organisation).order_by(Organisation.name)))


def _sheet_rows(invitations, typed=None, errors=None) -> list[dict]:
    """What each row shows: the typed values after an error, else the saved ones."""
    typed = typed or {}
    errors = errors or {}
    rows = []
    for invitation in invitations:
        key = str(invitation.id)
        saved_attendance = service.sheet_value(invitation)
        spoke_for = invitation.represents_organisation or invitation.contact.organisation
        rows.append(
            {
                "invitation": invitation,
                "attendance": typed.get(f"attendance-{key}", saved_attendance),
                "represents": typed.get(f"represents-{key}", spoke_for.name),
                "was_attendance": typed.get(f"was-attendance-{key}", saved_attendance),
                "was_represents": typed.get(f"was-represents-{key}", spoke_for.name),
                "error": errors.get(invitation.id),
            }
        )
    return rows


def _render(
    meeting: Meeting,
    *,
    walk_in_form: WalkInForm | None = None,
    typed=None,
    errors=None,
    message: str | None = None,
    code: int = 200,
):
    organisations = _organisations()
    if walk_in_form is None:
        walk_in_form = WalkInForm(formdata=None)
    walk_in_form.set_organisation_choices(organisations)
    if message:
        flash(message, "error")
    return (
        render_template(
            "attendance/index.html",
            meeting=meeting,
            is_open=service.can_record_attendance(meeting),
            can_mark_held=meeting.status.can_become(MeetingStatus.HELD),
            rows=_sheet_rows(service.sheet_invitations(meeting.id), typed, errors),
            counts=service.attendance_counts(meeting.id),
            states=service.sheet_states(meeting),
            count_states=list(Attendance),
            hybrid=meeting.is_hybrid,
            organisations=organisations,
            sheet_form=AttendanceSheetForm(formdata=None),
            held_form=MarkHeldForm(formdata=None),
            walk_in_form=walk_in_form,
        ),
        code,
    )


def _counts_html(meeting: Meeting) -> str:
    return render_template(
        "attendance/_counts.html",
        counts=service.attendance_counts(meeting.id),
        count_states=list(Attendance),
        hybrid=meeting.is_hybrid,
    )


@bp.get("/meetings/<id:meeting_id>/attendance")
@secretariat_required
def index(meeting_id: int):
    return _render(get_meeting_or_404(meeting_id))


@bp.post("/meetings/<id:meeting_id>/attendance")
@secretariat_required
def save(meeting_id: int):
    meeting = get_meeting_or_404(meeting_id)
    form = AttendanceSheetForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        changed = service.save_sheet(meeting, request.form, by=current_user)
    except service.AttendanceClosed as error:
        db.session.rollback()
        if wants_json():
            return jsonify(ok=False, message=str(error)), error.status
        return _render(meeting, message=str(error), code=error.status)
    except service.SheetError as error:
        db.session.rollback()
        if wants_json():
            first = next(iter(error.errors.values()))
            return jsonify(ok=False, message=first, errors=error.errors), error.status
        return _render(
            meeting, typed=request.form, errors=error.errors, message=str(error), code=error.status
        )
    db.session.commit()
    message = (
        ngettext(
            "Attendance saved for %(num)s person.",
            "Attendance saved for %(num)s people.",
            len(changed),
        )
        if changed
        else _("Nothing was changed.")
    )
    if wants_json():
        return jsonify(
            ok=True,
            message=message,
            counts_html=_counts_html(meeting),
            saved={
                str(invitation.id): {
                    "attendance": invitation.attendance.value if invitation.attendance else "",
                    "represents": (
                        invitation.represents_organisation or invitation.contact.organisation
                    ).name,
                }
                for invitation in changed
            },
        )
    flash(message, "success" if changed else "info")
    return redirect(url_for("attendance.index", meeting_id=meeting.id))


def _closed_message(meeting: Meeting) -> str:
    return _(
        "This meeting is %(status)s: attendance can only be recorded for a scheduled or "
        "held meeting.",
        status=meeting.status.label.lower(),
    )


@bp.post("/meetings/<id:meeting_id>/attendance/walk-in")
@secretariat_required
def walk_in(meeting_id: int):
    meeting = get_meeting_or_404(meeting_id)
    form = WalkInForm()
    form.set_organisation_choices([])  # checked by the service, not by the select
    form.organisation_id.validate_choice = False
    if not service.can_record_attendance(meeting):
        return _render(
            meeting,
            walk_in_form=form,
            message=_closed_message(meeting),
            code=409,
        )
    if not form.validate_on_submit():
        return _render(
            meeting,
            walk_in_form=form,
            message=_("The walk-in was not added: please correct the fields marked below."),
            code=400,
        )
    details = service.WalkIn(
        name=form.name.data,
        email=form.email.data,
        position=form.position.data or "",
        organisation_id=form.organisation_id.data or 0,
        new_organisation_name=form.new_organisation_name.data or "",
        new_organisation_category=form.new_organisation_category.data or "",
    )
    for attempt in range(2):
        try:
            result = service.add_walk_in(meeting, details, by=current_user)
            db.session.commit()
            break
        except service.WalkInError as error:
            db.session.rollback()
            getattr(form, error.field).errors = [str(error)]
            return _render(
                meeting,
                walk_in_form=form,
                message=_("The walk-in was not added: please correct the fields marked below."),
                code=error.status,
            )
        except IntegrityError:
            # A colleague added the same person (or organisation) at the same moment:
            # the second attempt finds and reuses what they created.
            db.session.rollback()
            if attempt:
                abort(409, _("This person was being added by someone else. Please try again."))
            meeting = get_meeting_or_404(meeting_id)
    if result.new_invitation:
        flash(
            _("%(name)s was added as a walk-in and marked present.", name=result.contact.name),
            "success",
        )
    else:
        flash(
            _("%(name)s was already invited and is now marked present.", name=result.contact.name),
            "success",
        )
    return redirect(url_for("attendance.index", meeting_id=meeting.id))


@bp.post("/meetings/<id:meeting_id>/attendance/held")
@secretariat_required
def mark_held(meeting_id: int):
    meeting = get_meeting_or_404(meeting_id)
    if not MarkHeldForm().validate_on_submit():
        abort(400)
    try:
        service.mark_held(meeting, by=current_user)
    except service.AttendanceError as error:
        db.session.rollback()
        return _render(meeting, message=str(error.message), code=error.status)
    db.session.commit()
    flash(_("The meeting is marked as held."), "success")
    return redirect(url_for("attendance.index", meeting_id=meeting.id))
