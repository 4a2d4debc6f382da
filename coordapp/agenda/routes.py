"""The agenda builder: the list with planned times, item forms, ordering, copying,
attachments (also for invitees through their RSVP link), print view and PDF."""

from __future__ import annotations

from urllib.parse import quote

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
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
from sqlalchemy.orm import joinedload, selectinload, undefer
from werkzeug.utils import secure_filename

from coordapp.access import login_required, public, secretariat_required
from coordapp.agenda import service, uploads
from coordapp.agenda.forms import CopyForm, ItemForm, MoveForm, UploadForm
from coordapp.errors import render_error, wants_json
from coordapp.extensions import db
from coordapp.inputs import ConfirmForm
from coordapp.invitations.links import RSVP_LINK, invitation_by_link
from coordapp.models import Meeting
from coordapp.models.agenda import AgendaItem, Attachment
from coordapp.models.document import GeneratedDocument
from coordapp.pdf import stored
from coordapp.web import get_meeting_or_404, load_by_link

bp = Blueprint("agenda", __name__)

DEFAULT_ATTACHMENT_MAX_BYTES = 20 * 1024 * 1024


# --- loading and access ------------------------------------------------------------------


def _to_item(meeting_id: int, item_id: int) -> str:
    """The agenda at item `item_id`. Built before commit: from then on another editor may
    delete the item, and reading its expired row would fail."""
    return url_for("agenda.index", meeting_id=meeting_id, _anchor=f"item-{item_id}")


def _get_item(item_id: int) -> AgendaItem:
    item = db.session.scalar(
        sa.select(AgendaItem)
        .where(AgendaItem.id == item_id)
        .options(joinedload(AgendaItem.meeting), selectinload(AgendaItem.presenters))
    )
    if item is None:
        abort(404, _("This agenda item does not exist."))
    return item


def _get_attachment(attachment_id: int, *, with_data: bool = False) -> Attachment:
    options = [joinedload(Attachment.agenda_item).joinedload(AgendaItem.meeting)]
    if with_data:
        options.append(undefer(Attachment.data))
    attachment = db.session.scalar(
        sa.select(Attachment).where(Attachment.id == attachment_id).options(*options)
    )
    if attachment is None:
        abort(404, _("This attachment does not exist."))
    return attachment


def _ensure_editable(meeting: Meeting) -> None:
    reason = service.read_only_reason(meeting)
    if reason:
        abort(409, reason)


def _max_bytes() -> int:
    return current_app.config.get("ATTACHMENT_MAX_BYTES", DEFAULT_ATTACHMENT_MAX_BYTES)


@bp.errorhandler(413)
def _too_large(error):
    return render_error(
        413,
        _(
            "The file you sent is too large. Attachments may be at most %(limit)s.",
            limit=uploads.human_size(_max_bytes()),
        ),
    )


# --- the agenda page ------------------------------------------------------------------------


@bp.get("/meetings/<id:meeting_id>/agenda")
@login_required
def index(meeting_id: int):
    meeting = get_meeting_or_404(meeting_id)
    return render_template(
        "agenda/index.html",
        meeting=meeting,
        agenda=service.agenda_of(meeting),
        can_edit=service.can_edit_agenda(current_user, meeting),
        read_only_reason=service.read_only_reason(meeting),
        document=service.latest_agenda_pdf(meeting.id) if current_user.is_secretariat else None,
    )


# --- items --------------------------------------------------------------------------------


def _item_form(meeting: Meeting, item: AgendaItem | None = None) -> ItemForm:
    form = ItemForm(obj=item) if item is not None and request.method == "GET" else ItemForm()
    if item is not None and request.method == "GET":
        form.kind.data = item.kind.value
        form.presenters.data = [p.contact_id for p in item.presenters]
    selected = form.presenters.data or []
    form.chairs = service.chair_presenters(meeting)
    form.presenters.choices = service.presenter_choices(selected, form.chairs.roles)
    return form


def _render_form(meeting: Meeting, form: ItemForm, item: AgendaItem | None, code: int = 200):
    return (
        render_template(
            "agenda/form.html",
            meeting=meeting,
            form=form,
            item=item,
            unlinked_chairs=form.chairs.unlinked,
        ),
        code,
    )


def _save_failed(meeting, form, item, message):
    db.session.rollback()
    flash(message, "error")
    return _render_form(meeting, form, item, 409)


@bp.route("/meetings/<id:meeting_id>/agenda/new", methods=["GET", "POST"])
@secretariat_required
def new(meeting_id: int):
    meeting = get_meeting_or_404(meeting_id)
    _ensure_editable(meeting)
    form = _item_form(meeting)
    if request.method == "GET":
        return _render_form(meeting, form, None)
    if not form.validate():
        return _render_form(meeting, form, None, 400)
    try:
        item = service.create_item(
            meeting,
            title=form.title.data,
            description=form.description.data,
            kind=form.kind_value,
            duration_minutes=form.duration_minutes.data,
            presenter_ids=form.presenters.data or [],
            by=current_user,
        )
    except service.AgendaError as error:
        return _save_failed(meeting, form, None, str(error))
    back = _to_item(meeting.id, item.id)
    db.session.commit()
    flash(_("Agenda item added."), "success")
    return redirect(back)


@bp.route("/agenda/items/<id:item_id>/edit", methods=["GET", "POST"])
@secretariat_required
def edit(item_id: int):
    item = _get_item(item_id)
    meeting = get_meeting_or_404(item.meeting_id)
    _ensure_editable(meeting)
    form = _item_form(meeting, item)
    if request.method == "GET":
        return _render_form(meeting, form, item)
    if not form.validate():
        return _render_form(meeting, form, item, 400)
    try:
        service.update_item(
            item,
            title=form.title.data,
            description=form.description.data,
            kind=form.kind_value,
            duration_minutes=form.duration_minutes.data,
            presenter_ids=form.presenters.data or [],
            by=current_user,
        )
    except service.AgendaError as error:
        return _save_failed(meeting, form, item, str(error))
    back = _to_item(meeting.id, item_id)
    db.session.commit()
    flash(_("Agenda item saved."), "success")
    return redirect(back)


@bp.get("/agenda/items/<id:item_id>/delete")
@secretariat_required
def confirm_delete(item_id: int):
    """Deleting asks first, on a page of its own (no script needed)."""
    item = _get_item(item_id)
    _ensure_editable(item.meeting)
    return render_template("agenda/confirm_delete.html", meeting=item.meeting, item=item)


@bp.post("/agenda/items/<id:item_id>/delete")
@secretariat_required
def delete(item_id: int):
    item = _get_item(item_id)
    _ensure_editable(item.meeting)
    if not ConfirmForm().validate():
        abort(400)
    meeting_id = item.meeting_id
    service.delete_item(item, by=current_user)
    db.session.commit()
    flash(_("Agenda item deleted."), "success")
    return redirect(url_for("agenda.index", meeting_id=meeting_id))


@bp.post("/agenda/items/<id:item_id>/move")
@secretariat_required
def move(item_id: int):
    item = _get_item(item_id)
    _ensure_editable(item.meeting)
    form = MoveForm()
    if not form.validate():
        abort(400, _("Move the item up or down."))
    service.move_item(item, form.direction.data, by=current_user)
    back = _to_item(item.meeting_id, item_id)
    db.session.commit()
    return redirect(back, code=303)


def _posted_order() -> list[int] | None:
    """The ids sent by the drag-and-drop script: `order` repeated, or comma-separated."""
    values = request.form.getlist("order")
    if len(values) == 1 and "," in values[0]:
        values = values[0].split(",")
    try:
        return [int(value) for value in values]
    except ValueError:
        return None


@bp.post("/meetings/<id:meeting_id>/agenda/order")
@secretariat_required
def reorder(meeting_id: int):
    meeting = get_meeting_or_404(meeting_id)
    reason = service.read_only_reason(meeting)
    if reason:
        if wants_json():
            return jsonify(ok=False, message=reason), 409
        abort(409, reason)
    order = _posted_order()
    if order is None:
        raise service.AgendaOrderError(_("The new order could not be read."))
    # A refused order answers 400 (as JSON to the page's script).
    service.reorder(meeting, order, by=current_user)
    db.session.commit()
    if wants_json():
        return jsonify(ok=True, message=_("New order saved."))
    flash(_("New order saved."), "success")
    return redirect(url_for("agenda.index", meeting_id=meeting.id), code=303)


@bp.route("/meetings/<id:meeting_id>/agenda/copy", methods=["GET", "POST"])
@secretariat_required
def copy(meeting_id: int):
    meeting = get_meeting_or_404(meeting_id)
    _ensure_editable(meeting)
    sources = service.other_meetings_of_series(meeting)
    form = CopyForm()
    form.source.choices = [
        (m.id, f"{m.number or '–'} · {m.title} · {m.starts_at:%Y-%m-%d}") for m in sources
    ]
    code = 200
    if request.method == "POST":
        if form.validate():
            source = next(m for m in sources if m.id == form.source.data)
            copied = service.copy_agenda(meeting, source, by=current_user)
            db.session.commit()
            flash(
                ngettext(
                    "%(num)d item copied from “%(title)s”.",
                    "%(num)d items copied from “%(title)s”.",
                    copied,
                    title=source.title,
                ),
                "success",
            )
            return redirect(url_for("agenda.index", meeting_id=meeting.id))
        code = 400
    return render_template("agenda/copy.html", meeting=meeting, form=form, sources=sources), code


# --- attachments --------------------------------------------------------------------------


def _render_attach(item: AgendaItem, form: UploadForm, error: str | None = None, code: int = 200):
    return (
        render_template(
            "agenda/attach.html",
            meeting=item.meeting,
            item=item,
            form=form,
            error=error,
            allowed_extensions=", ".join(uploads.ALLOWED_EXTENSIONS),
            max_size=uploads.human_size(_max_bytes()),
        ),
        code,
    )


@bp.get("/agenda/items/<id:item_id>/attachments")
@secretariat_required
def attach(item_id: int):
    """The one place to attach a file to an item (the agenda lists a link per item)."""
    item = _get_item(item_id)
    _ensure_editable(item.meeting)
    return _render_attach(item, UploadForm(formdata=None))


@bp.post("/agenda/items/<id:item_id>/attachments")
@secretariat_required
def upload(item_id: int):
    item = _get_item(item_id)
    meeting = get_meeting_or_404(item.meeting_id)
    _ensure_editable(meeting)
    form = UploadForm()
    if not form.validate():
        message = " ".join(str(e) for e in form.file.errors) or _("Choose a file.")
        return _render_attach(item, form, error=message, code=400)
    storage = form.file.data
    limit = _max_bytes()
    data = storage.stream.read(limit + 1)
    try:
        checked = uploads.check_upload(storage.filename, data, limit)
    except uploads.UploadError as error:
        code = 413 if len(data) > limit else 400
        return _render_attach(item, form, error=str(error), code=code)
    service.add_attachment(
        item,
        filename=checked.filename,
        content_type=checked.content_type,
        data=checked.data,
        user_id=current_user.id,
    )
    back, title = _to_item(meeting.id, item.id), item.title
    db.session.commit()
    flash(_("“%(name)s” attached to “%(title)s”.", name=checked.filename, title=title), "success")
    return redirect(back)


@bp.post("/attachments/<id:attachment_id>/delete")
@secretariat_required
def delete_attachment(attachment_id: int):
    attachment = _get_attachment(attachment_id)
    item = attachment.agenda_item
    _ensure_editable(item.meeting)
    if not ConfirmForm().validate():
        abort(400)
    name, back = attachment.filename, _to_item(item.meeting_id, item.id)
    service.delete_attachment(attachment, by=current_user)
    db.session.commit()
    flash(_("“%(name)s” removed.", name=name), "success")
    return redirect(back)


def _content_disposition(name: str) -> str:
    """attachment; filename="ascii fallback"; filename*=UTF-8''original (RFC 6266/5987)."""
    fallback = secure_filename(name) or "download"
    header = f'attachment; filename="{fallback}"'
    if fallback != name:
        header += f"; filename*=UTF-8''{quote(name, safe='')}"
    return header


def _send_stored(data: bytes, content_type: str, filename: str) -> Response:
    # Not cached anywhere (coordapp/headers.py): meeting papers are for those invited.
    response = Response(data, mimetype=content_type)
    response.headers["Content-Disposition"] = _content_disposition(filename)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@bp.get("/attachments/<id:attachment_id>")
@login_required
def download(attachment_id: int):
    attachment = _get_attachment(attachment_id, with_data=True)
    return _send_stored(attachment.data, attachment.content_type, attachment.filename)


@bp.get("/rsvp/<token>/attachments/<id:attachment_id>")
@public
def rsvp_download(token: str, attachment_id: int):
    # The same token check as the RSVP page: 404 wrong link (throttled), 410 withdrawn.
    invitation = load_by_link(token, RSVP_LINK, invitation_by_link)
    attachment = _get_attachment(attachment_id, with_data=True)
    if attachment.agenda_item.meeting_id != invitation.meeting_id:
        abort(404, _("This attachment does not exist."))
    response = _send_stored(attachment.data, attachment.content_type, attachment.filename)
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


# --- print view and PDF ---------------------------------------------------------------------


@bp.get("/meetings/<id:meeting_id>/agenda/print")
@login_required
def print_view(meeting_id: int):
    meeting = get_meeting_or_404(meeting_id)
    return render_template("agenda/print.html", meeting=meeting, agenda=service.agenda_of(meeting))


@bp.post("/meetings/<id:meeting_id>/agenda/pdf")
@secretariat_required
def generate_pdf(meeting_id: int):
    from coordapp.agenda import tasks

    meeting = get_meeting_or_404(meeting_id)
    if not ConfirmForm().validate():
        abort(400)
    document = service.request_agenda_pdf(meeting, current_user.id)
    db.session.commit()
    # Enqueued after the commit, so the worker finds the row.
    tasks.render_agenda_pdf(document.id)
    return redirect(url_for("agenda.document_status", document_id=document.id), code=303)


@bp.get("/documents/<id:document_id>")
@login_required
def document_status(document_id: int):
    document = stored.load(
        GeneratedDocument, document_id, missing=_("This document does not exist.")
    )
    meeting = get_meeting_or_404(document.meeting_id)
    return stored.status_page(
        document,
        heading=_("Agenda PDF"),
        subject=meeting.title,
        back_url=url_for("agenda.index", meeting_id=meeting.id),
        back_label=_("Agenda of %(title)s", title=meeting.title),
        details=None,
        pending_message=_("The agenda PDF is being prepared… This page refreshes by itself."),
        download_url=url_for("agenda.document_download", document_id=document.id),
        timezone=meeting.timezone,
    )


@bp.get("/documents/<id:document_id>/download")
@login_required
def document_download(document_id: int):
    document = stored.load(
        GeneratedDocument, document_id, with_data=True, missing=_("This document does not exist.")
    )
    get_meeting_or_404(document.meeting_id)
    return stored.download(document)
