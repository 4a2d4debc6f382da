"""Writing the minutes (secretariat) and the minutes preview (drafts for the secretariat
and the chairs, approved minutes for every account)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from coordapp.access import login_required, secretariat_required
from coordapp.extensions import db
from coordapp.minutes import service
from coordapp.minutes.forms import MeetingFieldsForm, MinutesItemForm
from coordapp.models import Meeting
from coordapp.models.minutes import MinutesItem, MinutesVersion
from coordapp.web import get_meeting_or_404

bp = Blueprint("minutes", __name__)


def _get_item(item_id: int) -> MinutesItem:
    item = service.get_item(item_id)
    if item is None:
        abort(404, _("These minutes do not exist."))
    return item


def _user():
    return current_user._get_current_object()


def _meeting_fields_form(version: MinutesVersion) -> MeetingFieldsForm:
    return MeetingFieldsForm(
        formdata=None,
        opening_summary=version.opening_summary or "",
        closing_summary=version.closing_summary or "",
        next_meeting_date=version.next_meeting_date,
        next_meeting_note=version.next_meeting_note or "",
        lock_version=version.lock_version,
        version_id=version.id,
    )


def _render_index(
    meeting: Meeting,
    version: MinutesVersion,
    *,
    code: int = 200,
    failed_item_id: int | None = None,
    item_form: MinutesItemForm | None = None,
    fields_form: MeetingFieldsForm | None = None,
    conflict: service.SavedContent | None = None,
    error: str | None = None,
):
    """The minutes editor. After a refused save (`failed_item_id`, or the meeting-level
    `fields_form`), that form shows what the user typed, its errors, and on a conflict
    (`conflict`) the other person's saved version beside it."""
    items = service.minutes_items(version)
    editable = service.can_edit_minutes(current_user, version)
    if conflict is not None:
        # Saving again from here is a deliberate overwrite of what the user has now seen.
        target = item_form if failed_item_id is not None else fields_form
        target.lock_version.data = conflict.lock_version
        target.lock_version.raw_data = [str(conflict.lock_version)]
    return (
        render_template(
            "minutes/index.html",
            meeting=meeting,
            version=version,
            items=items,
            planned=service.planned_starts(meeting, [item.agenda_item for item in items]),
            editable=editable,
            fields_form=fields_form or _meeting_fields_form(version),
            fields_failed=fields_form is not None,
            failed_item_id=failed_item_id,
            item_form=item_form,
            conflict=conflict,
            error=error,
        ),
        code,
    )


@bp.get("/meetings/<id:meeting_id>/minutes")
@secretariat_required
def index(meeting_id: int):
    meeting = get_meeting_or_404(meeting_id)
    version = service.current_version(meeting, by=_user())
    db.session.commit()
    return _render_index(meeting, version)


@bp.post("/minutes/items/<id:item_id>")
@secretariat_required
def save_item(item_id: int):
    item = _get_item(item_id)
    version, meeting = item.version, item.version.meeting
    form = MinutesItemForm()
    if not form.validate():
        return _render_index(meeting, version, code=400, failed_item_id=item.id, item_form=form)
    try:
        service.save_item(
            item, form.text.data, form.cleaned_decisions, form.lock_version.data, _user()
        )
    except service.ConflictError as conflict:
        db.session.rollback()
        return _render_index(
            meeting,
            version,
            code=conflict.status,
            failed_item_id=item.id,
            item_form=form,
            conflict=conflict.current,
        )
    except service.MinutesError as refused:
        db.session.rollback()
        return _render_index(
            meeting,
            version,
            code=refused.status,
            failed_item_id=item.id,
            item_form=form,
            error=refused.message,
        )
    db.session.commit()
    flash(_("Saved the minutes of “%(title)s”.", title=item.agenda_item.title), "success")
    return redirect(url_for("minutes.index", meeting_id=meeting.id, _anchor=f"item-{item.id}"))


@bp.post("/meetings/<id:meeting_id>/minutes/meeting-fields")
@secretariat_required
def save_meeting_fields(meeting_id: int):
    meeting = get_meeting_or_404(meeting_id)
    form = MeetingFieldsForm()
    valid = form.validate()
    version = db.session.get(MinutesVersion, form.version_id.data or 0)
    if version is None or version.meeting_id != meeting.id:
        version = service.current_version(meeting, by=_user())
        if valid:
            # The form was for a version that no longer exists: say so, keep the text.
            return _render_index(
                meeting,
                version,
                code=409,
                fields_form=form,
                error=_("These minutes changed since you opened the page; please check."),
            )
    if not valid:
        return _render_index(meeting, version, code=400, fields_form=form)
    try:
        service.save_meeting_fields(
            version,
            form.opening_summary.data,
            form.closing_summary.data,
            form.next_meeting_date.data,
            form.next_meeting_note.data,
            form.lock_version.data,
            _user(),
        )
    except service.ConflictError as conflict:
        db.session.rollback()
        return _render_index(
            meeting, version, code=conflict.status, fields_form=form, conflict=conflict.current
        )
    except service.MinutesError as refused:
        db.session.rollback()
        return _render_index(
            meeting, version, code=refused.status, fields_form=form, error=refused.message
        )
    db.session.commit()
    flash(_("Saved the opening and closing of the minutes."), "success")
    return redirect(url_for("minutes.index", meeting_id=meeting.id, _anchor="meeting-fields"))


@bp.get("/minutes/items/<id:item_id>/history")
@secretariat_required
def item_history(item_id: int):
    item = _get_item(item_id)
    return render_template(
        "minutes/history.html",
        meeting=item.version.meeting,
        version=item.version,
        item=item,
        revisions=service.revisions(item),
    )


@bp.get("/meetings/<id:meeting_id>/minutes/history")
@secretariat_required
def meeting_fields_history(meeting_id: int):
    meeting = get_meeting_or_404(meeting_id)
    version = service.latest_version(meeting)
    if version is None:
        abort(404, _("Nobody has written these minutes yet."))
    return render_template(
        "minutes/history.html",
        meeting=meeting,
        version=version,
        item=None,
        revisions=service.meeting_fields_revisions(version),
    )


@bp.get("/meetings/<id:meeting_id>/minutes/preview")
@login_required
def preview(meeting_id: int):
    """Reads only (a GET never writes): the secretariat and the chairs see the latest
    version, draft or not; other members only approved minutes."""
    meeting = get_meeting_or_404(meeting_id)
    version = service.preview_version(meeting, current_user)
    if version is None:
        if not service.can_read_drafts(current_user, meeting):
            abort(403)
        abort(404, _("Nobody has written these minutes yet."))
    return render_template(
        "minutes/preview.html",
        can_edit=service.can_edit_minutes(current_user, version),
        **service.document_context(meeting, version),
    )
