"""The public summary of a meeting: the secretariat's draft page, and the public page,
list and Atom feed of each series."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup

from coordapp.access import public, secretariat_required
from coordapp.extensions import db
from coordapp.i18n import language_menu, languages, native_name
from coordapp.inputs import ConfirmForm
from coordapp.links import external_url
from coordapp.meetings.service import series_page_options
from coordapp.models import OutcomePhoto, Series
from coordapp.outcomes import service
from coordapp.outcomes.forms import EditForm, StartForm
from coordapp.timefmt import in_zone, local_day
from coordapp.web import get_meeting_or_404, get_or_404

bp = Blueprint("outcomes", __name__)

FEED_SIZE = 50


def _user():
    return current_user._get_current_object()


def _max_photo_bytes() -> int:
    return int(current_app.config.get("OUTCOME_PHOTO_MAX_BYTES", 5 * 1024 * 1024))


def _language_choices() -> list[tuple[str, str, dict]]:
    """Each language named in itself, and marked as that language for screen readers."""
    return [(code, name, {"lang": code}) for code, name in language_menu()]


def _start_form(formdata=None) -> StartForm:
    form = StartForm(formdata=formdata)
    form.language.choices = _language_choices()
    return form


def _edit_form(summary, formdata=None) -> EditForm:
    if formdata is None:
        form = EditForm(
            formdata=None,
            lock_version=str(summary.lock_version),
            title=summary.title,
            language=summary.language,
            body=summary.body,
            photo_alt=summary.photo_alt or "",
        )
    else:
        form = EditForm(formdata=formdata)
    form.language.choices = _language_choices()
    # What the secretariat types is in the summary's language, not the page's.
    form.title.render_kw = {"lang": summary.language}
    form.body.render_kw = {"rows": 20, "lang": summary.language}
    form.photo_alt.render_kw = {"lang": summary.language}
    # Marked required for the eye and the browser; the service says why when empty.
    form.title.flags.required = form.body.flags.required = True
    return form


def _render_draft(
    meeting,
    *,
    code: int = 200,
    error: str | None = None,
    start_form=None,
    edit_form=None,
    error_field: str | None = None,
):
    summary = service.summary_of(meeting.id)
    approved = service.approved_version(meeting)
    context = {
        "meeting": meeting,
        "summary": summary,
        "approved": approved,
        "error": error,
        "error_field": error_field,
        "max_photo_mb": f"{_max_photo_bytes() / 1024 / 1024:g}",
        "confirm_form": ConfirmForm(formdata=None),
    }
    if summary is None:
        context["start_form"] = start_form or _start_form()
        if start_form is None:
            context["start_form"].language.data = meeting.language
    else:
        context["edit_form"] = edit_form or _edit_form(summary)
        context["history"] = service.history(summary)
        context["unpublished_changes"] = service.has_unpublished_changes(summary)
        context["public_url"] = (
            external_url("outcomes.show", slug=summary.slug) if summary.slug else None
        )
    if approved is None or meeting.status.value == "cancelled":
        code = 409 if code == 200 else code
    return make_response(render_template("outcomes/draft.html", **context), code)


@bp.get("/meetings/<id:meeting_id>/summary")
@secretariat_required
def draft(meeting_id: int):
    return _render_draft(get_meeting_or_404(meeting_id))


@bp.post("/meetings/<id:meeting_id>/summary")
@secretariat_required
def start(meeting_id: int):
    meeting = get_meeting_or_404(meeting_id)
    form = _start_form(request.form)
    if not form.validate():
        return _render_draft(meeting, code=400, start_form=form, error=_("Please try again."))
    try:
        service.start_draft(
            meeting,
            language=form.language.data,
            languages=languages(),
            name_chairs=form.name_chairs.data,
            name_organisations=form.name_organisations.data,
            by=_user(),
        )
    except service.SummaryError as refused:
        db.session.rollback()
        return _render_draft(meeting, code=refused.status, start_form=form, error=refused.message)
    db.session.commit()
    flash(_("The draft is ready: check it, edit it, then publish it."), "success")
    return redirect(url_for("outcomes.draft", meeting_id=meeting.id))


def _summary_or_404(meeting):
    summary = service.summary_of(meeting.id)
    if summary is None:
        abort(404, _("This meeting has no public summary yet."))
    return summary


@bp.post("/meetings/<id:meeting_id>/summary/edit")
@secretariat_required
def save(meeting_id: int):
    meeting = get_meeting_or_404(meeting_id)
    summary = _summary_or_404(meeting)
    form = _edit_form(summary, request.form)
    # Only the CSRF token is checked here: the service checks the rest, field by field.
    if not form.validate():
        return _render_draft(meeting, code=400, edit_form=form, error=_("Please try again."))
    upload = request.files.get("photo")
    photo_bytes = None
    limit = _max_photo_bytes()
    if upload is not None and upload.filename:
        photo_bytes = upload.stream.read(limit + 1)
    try:
        lock = int(form.lock_version.data or 0)
    except ValueError:
        lock = -1
    try:
        service.save_draft(
            summary,
            title=form.title.data,
            language=form.language.data,
            body=form.body.data,
            photo_alt=form.photo_alt.data,
            photo_bytes=photo_bytes,
            remove_photo=bool(form.remove_photo.data),
            lock_version=lock,
            languages=languages(),
            max_photo_bytes=limit,
            by=_user(),
        )
    except service.SummaryError as refused:
        db.session.rollback()
        code = refused.status
        if photo_bytes is not None and len(photo_bytes) > limit:
            code = 413
        return _render_draft(
            meeting,
            code=code,
            edit_form=form,
            error=refused.message,
            error_field=getattr(refused, "field", None),
        )
    db.session.commit()
    flash(_("Saved the draft of the public summary."), "success")
    return redirect(url_for("outcomes.draft", meeting_id=meeting.id))


@bp.post("/meetings/<id:meeting_id>/summary/publish")
@secretariat_required
def publish(meeting_id: int):
    meeting = get_meeting_or_404(meeting_id)
    summary = _summary_or_404(meeting)
    if not ConfirmForm().validate():
        return _render_draft(meeting, code=400, error=_("Please try again."))
    try:
        version = service.publish(summary, meeting, by=_user())
    except service.SummaryError as refused:
        db.session.rollback()
        return _render_draft(meeting, code=refused.status, error=refused.message)
    db.session.commit()
    flash(
        _("Published version %(number)s of the public summary.", number=version.number),
        "success",
    )
    return redirect(url_for("outcomes.draft", meeting_id=meeting.id))


@bp.post("/meetings/<id:meeting_id>/summary/unpublish")
@secretariat_required
def unpublish(meeting_id: int):
    meeting = get_meeting_or_404(meeting_id)
    summary = _summary_or_404(meeting)
    if not ConfirmForm().validate():
        return _render_draft(meeting, code=400, error=_("Please try again."))
    try:
        service.unpublish(summary, by=_user())
    except service.SummaryError as refused:
        db.session.rollback()
        return _render_draft(meeting, code=refused.status, error=refused.message)
    db.session.commit()
    flash(_("The public summary is no longer public."), "success")
    return redirect(url_for("outcomes.draft", meeting_id=meeting.id))


@bp.get("/meetings/<id:meeting_id>/summary/versions/<id:number>")
@secretariat_required
def version(meeting_id: int, number: int):
    meeting = get_meeting_or_404(meeting_id)
    summary = _summary_or_404(meeting)
    found = next((v for v in summary.versions if v.number == number), None)
    if found is None:
        abort(404, _("This version does not exist."))
    return render_template("outcomes/version.html", meeting=meeting, summary=summary, version=found)


def _photo_response(photo: OutcomePhoto, *, public_cache: bool) -> Response:
    response = make_response(photo.data)
    response.headers["Content-Type"] = photo.content_type
    response.headers["Cache-Control"] = (
        "public, max-age=300" if public_cache else "private, no-store"
    )
    response.headers["Content-Disposition"] = "inline"
    return response


@bp.get("/meetings/<id:meeting_id>/summary/photo/<id:photo_id>")
@secretariat_required
def draft_photo(meeting_id: int, photo_id: int):
    """A photo of this meeting's summary: the working copy's or a published version's."""
    meeting = get_meeting_or_404(meeting_id)
    summary = _summary_or_404(meeting)
    ids = {summary.photo_id, *(v.photo_id for v in summary.versions)} - {None}
    if photo_id not in ids:
        abort(404)
    return _photo_response(db.session.get(OutcomePhoto, photo_id), public_cache=False)


# --- public --------------------------------------------------------------------------------


def _public_entry_or_error(slug: str):
    entry, gone = service.public_entry(slug)
    if gone:
        abort(
            410,
            _("This summary was withdrawn by the secretariat and is no longer public."),
        )
    if entry is None:
        abort(404, _("There is no public summary at this address."))
    return entry


@bp.get("/outcomes")
@public
def index():
    """Every published summary, by series (each with its feed), for visitors."""
    return render_template("outcomes/index.html", groups=service.public_index(), day=_day)


@bp.get("/outcomes/<slug>")
@public
def show(slug: str):
    entry = _public_entry_or_error(slug)
    return render_template(
        "outcomes/show.html",
        entry=entry,
        content_language_name=native_name(entry.version.language),
        day=_day,
    )


@bp.get("/outcomes/<slug>/photo")
@public
def photo(slug: str):
    found = service.public_photo(slug)
    if found is None:
        abort(404)
    return _photo_response(found, public_cache=True)


@bp.get("/outcomes/series/<id:series_id>")
@public
def series(series_id: int):
    found = get_or_404(
        Series, series_id, *series_page_options(), message=_l("This series does not exist.")
    )
    entries = _published_or_404(found)
    return render_template("outcomes/series.html", series=found, entries=entries, day=_day)


@bp.get("/outcomes/series/<id:series_id>/feed.atom")
@public
def feed(series_id: int):
    found = get_or_404(
        Series, series_id, *series_page_options(), message=_l("This series does not exist.")
    )
    entries = _published_or_404(found, limit=FEED_SIZE)
    updated = max((e.version.published_at for e in entries), default=found.created_at)
    list_url = external_url("outcomes.series", series_id=found.id)
    xml = render_template(
        "outcomes/feed.xml",
        series=found,
        entries=entries,
        updated=updated,
        feed_id=service.feed_id(found),
        list_url=list_url,
        self_url=external_url("outcomes.feed", series_id=found.id),
        entry_url=lambda slug: external_url("outcomes.show", slug=slug),
        author=current_app.config["NETWORK_NAME"],
        content_of=_feed_content,
    )
    response = make_response(xml)
    response.headers["Content-Type"] = "application/atom+xml; charset=utf-8"
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


def _published_or_404(series, limit: int | None = None) -> list:
    """The series' public summaries; 404 until it has published one, so that the public
    pages do not list the names of series that published nothing."""
    entries = service.series_entries(series.id, limit=limit)
    if not entries and not service.series_ever_published(series.id):
        abort(404, _("There is no public summary at this address."))
    return entries


def _feed_content(entry) -> str:
    """The entry's HTML (escaped by the template: Atom content of type "html"): the photo,
    with an absolute address, then the stored, sanitised body."""
    html = str(entry.version.body_html or "")
    if entry.version.photo_id:
        src = external_url("outcomes.photo", slug=entry.summary.slug)
        img = Markup('<p><img src="{}" alt="{}"></p>').format(src, entry.version.photo_alt or "")
        html = str(img) + html
    return html


def _day(moment, tz_name: str) -> str:
    """A date as the reader's language writes it, on the meeting's wall clock."""
    if moment is None:
        return ""
    return local_day(in_zone(moment, tz_name), full_month=True)
