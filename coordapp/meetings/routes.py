"""Series and meetings: lists, pages, forms and status changes."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload
from wtforms.fields.choices import SelectChoice

from coordapp import audit, feature
from coordapp.access import login_required, secretariat_required
from coordapp.extensions import db
from coordapp.inputs import bounded_int
from coordapp.meetings import service
from coordapp.meetings.forms import MeetingForm, SeriesForm, StatusForm
from coordapp.models import (
    AuditEvent,
    Contact,
    Meeting,
    MeetingChair,
    MeetingKind,
    MeetingStatus,
    Organisation,
    Series,
    SeriesChair,
    User,
    utcnow,
)
from coordapp.timefmt import local_datetime
from coordapp.web import get_meeting_or_404, get_or_404

bp = Blueprint("meetings", __name__)


def _series_or_404(series_id: int) -> Series:
    return get_or_404(
        Series, series_id, *service.series_page_options(), message=_l("This series does not exist.")
    )


# What the button that moves a meeting to each status says.
STATUS_ACTIONS = {
    MeetingStatus.DRAFT: _l("Move back to draft"),
    MeetingStatus.SCHEDULED: _l("Mark as scheduled"),
    MeetingStatus.HELD: _l("Mark as held"),
    MeetingStatus.CLOSED: _l("Close"),
    MeetingStatus.CANCELLED: _l("Cancel meeting"),
}

FIELD_LABELS = {
    "title": _l("Title"),
    "series": _l("Series"),
    "number": _l("Number"),
    "kind": _l("Kind"),
    "starts_at": _l("Starts"),
    "ends_at": _l("Ends"),
    "timezone": _l("Timezone"),
    "venue": _l("Venue"),
    "online_url": _l("Online meeting link"),
    "rsvp_deadline": _l("Reply by"),
    "capacity": _l("Capacity"),
    "language": _l("Language"),
    "reminder_days": _l("Reminder days before the reply deadline"),
    "status": _l("Status"),
    "cancel_reason": _l("Reason for cancelling"),
    "chairs": _l("Chairs"),
    "uses_gcm": _l("Uses the Global Compact for Migration"),
}


def _page() -> int:
    return request.args.get("page", 1, type=bounded_int)


def _meeting_list_query():
    return sa.select(Meeting).options(
        joinedload(Meeting.series),
        selectinload(Meeting.chairs).joinedload(MeetingChair.user),
    )


def _chair_candidates(keep_ids: set[int] = frozenset()) -> list[User]:
    """Active users, plus any already chairing (so an edit does not drop them)."""
    query = sa.select(User).order_by(User.name)
    condition = User.active.is_(True)
    if keep_ids:
        condition = condition | User.id.in_(keep_ids)
    return list(db.session.scalars(query.where(condition)))


def _users_by_id(ids) -> dict[int, User]:
    ids = set(ids)
    if not ids:
        return {}
    return {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(ids)))}


def _chairs_from(form) -> list[tuple[User, str]]:
    chosen = form.chosen_chairs()
    users = _users_by_id(user_id for user_id, _label in chosen)
    return [(users[user_id], label) for user_id, label in chosen if user_id in users]


# --- meeting lists ---------------------------------------------------------


@bp.get("/")
@login_required
def index():
    query = (
        _meeting_list_query()
        .where(Meeting.starts_at >= utcnow())
        .order_by(Meeting.starts_at, Meeting.id)
    )
    meetings = db.paginate(query, page=_page(), per_page=current_app.config["PER_PAGE"])
    return render_template("meetings/index.html", meetings=meetings, showing="upcoming")


@bp.get("/meetings/past")
@login_required
def past():
    query = (
        _meeting_list_query()
        .where(Meeting.starts_at < utcnow())
        .order_by(Meeting.starts_at.desc(), Meeting.id.desc())
    )
    meetings = db.paginate(query, page=_page(), per_page=current_app.config["PER_PAGE"])
    return render_template("meetings/index.html", meetings=meetings, showing="past")


# --- one meeting -----------------------------------------------------------


# The meeting page shows this many of the latest audit events; the rest are one link away.
RECENT_AUDIT_EVENTS = 10


def _audit_rows(meeting: Meeting, limit: int | None = None) -> list[dict]:
    """The meeting's audit events, newest first (the latest `limit` of them), with values
    shown in its zone."""
    events = db.session.scalars(
        sa.select(AuditEvent)
        .where(AuditEvent.meeting_id == meeting.id)
        .options(joinedload(AuditEvent.user))
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(limit)
    )
    rows = []
    for event in events:
        changes = []
        for name, pair in (event.changes or {}).items():
            if not isinstance(pair, list) or len(pair) != 2:
                continue
            before, after = (_show_value(name, value, meeting.timezone) for value in pair)
            changes.append(
                {"field": FIELD_LABELS.get(name, name), "before": before, "after": after}
            )
        rows.append(
            {
                "event": event,
                "action": audit.action_label(event.action),
                "changes": changes,
            }
        )
    return rows


def _show_value(name: str, value, tz_name: str) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if name in service.AUDITED_DATETIME_FIELDS and isinstance(value, str):
        try:
            return local_datetime(datetime.fromisoformat(value), tz_name)
        except ValueError:
            return value
    if name == "status":
        try:
            return MeetingStatus(value).label
        except ValueError:
            return str(value)
    if name == "kind":
        try:
            return MeetingKind(value).label
        except ValueError:
            return str(value)
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    return str(value)


def _render_meeting(meeting: Meeting, code: int = 200):
    can_manage = current_user.is_secretariat
    next_statuses = [
        status
        for status in MeetingStatus
        if meeting.status.can_become(status) and status is not MeetingStatus.CANCELLED
    ]
    return (
        render_template(
            "meetings/show.html",
            meeting=meeting,
            can_manage=can_manage,
            next_statuses=next_statuses if can_manage else [],
            can_cancel=can_manage and meeting.status.can_become(MeetingStatus.CANCELLED),
            status_actions=STATUS_ACTIONS,
            audit_rows=_audit_rows(meeting, RECENT_AUDIT_EVENTS + 1) if can_manage else [],
            recent_audit_events=RECENT_AUDIT_EVENTS,
            # The sections the features own (coordapp/feature.py), loaded.
            sections=feature.meeting_sections(meeting, current_user),
        ),
        code,
    )


@bp.get("/meetings/<id:meeting_id>")
@login_required
def show(meeting_id: int):
    return _render_meeting(get_meeting_or_404(meeting_id))


@bp.post("/meetings/<id:meeting_id>/status")
@secretariat_required
def change_status(meeting_id: int):
    meeting = get_meeting_or_404(meeting_id)
    form = StatusForm()
    if not form.validate():
        abort(400)
    try:
        new_status = MeetingStatus(form.status.data)
    except ValueError:
        flash(_("Unknown status."), "error")
        return _render_meeting(meeting, code=400)
    try:
        service.change_status(meeting, new_status, form.reason.data, by=current_user)
    except service.ReasonRequired as refused:
        form.reason.errors = [_("Say why the meeting is cancelled.")]
        flash(_("The meeting was not cancelled: a reason is required."), "error")
        return _render_cancel(meeting, form, code=refused.status)
    except service.TransitionNotAllowed as error:
        flash(error.message, "error")
        return _render_meeting(meeting, code=error.status)
    db.session.commit()
    flash(_("Status changed to %(status)s.", status=new_status.label), "success")
    return redirect(url_for("meetings.show", meeting_id=meeting.id))


def _render_cancel(meeting: Meeting, form: StatusForm, code: int = 200):
    return render_template("meetings/cancel.html", meeting=meeting, form=form), code


@bp.get("/meetings/<id:meeting_id>/cancel")
@secretariat_required
def cancel(meeting_id: int):
    """Cancelling is a step of its own: the page says what happens and asks for a reason
    before the button that does it (no script needed)."""
    meeting = get_meeting_or_404(meeting_id)
    if not meeting.status.can_become(MeetingStatus.CANCELLED):
        flash(
            _("A meeting that is %(status)s cannot be cancelled.", status=meeting.status.label),
            "error",
        )
        return redirect(url_for("meetings.show", meeting_id=meeting.id))
    return _render_cancel(meeting, StatusForm(formdata=None, status="cancelled"))


@bp.get("/meetings/<id:meeting_id>/audit")
@secretariat_required
def audit_log(meeting_id: int):
    """Every audit event of the meeting (its page shows the latest few)."""
    meeting = get_meeting_or_404(meeting_id)
    return render_template("meetings/audit.html", meeting=meeting, audit_rows=_audit_rows(meeting))


# --- meeting form ----------------------------------------------------------


def _all_series() -> list[Series]:
    return list(db.session.scalars(sa.select(Series).order_by(Series.name)))


def _details_from(form: MeetingForm, series_by_id: dict[int, Series]) -> service.MeetingDetails:
    return service.MeetingDetails(
        title=form.title.data,
        series=series_by_id.get(form.series_id.data),
        number=form.number.data,
        kind=MeetingKind(form.kind.data),
        description=form.description.data,
        starts_at=form.starts_at_utc,
        ends_at=form.ends_at_utc,
        timezone=form.timezone.data,
        venue=(form.venue.data or "").strip(),
        online_url=(form.online_url.data or "").strip(),
        rsvp_deadline=form.rsvp_deadline_utc,
        capacity=form.capacity.data,
        language=form.language.data,
        reminder_days=3 if form.reminder_days.data is None else form.reminder_days.data,
        chairs=_chairs_from(form),
    )


def _number_taken_error(form: MeetingForm) -> None:
    db.session.rollback()
    form.number.errors = list(form.number.errors) + [
        _("This series already has a meeting with this number.")
    ]


@bp.route("/meetings/new", methods=["GET", "POST"])
@secretariat_required
def new():
    series_list = _all_series()
    series_by_id = {s.id: s for s in series_list}
    form = MeetingForm(series_choices=series_list)
    if request.method == "GET":
        series = series_by_id.get(request.args.get("series_id", type=bounded_int))
        if series is not None:
            form.series_id.data = series.id
            form.number.data = service.next_number_in_series(series)
            form.timezone.data = service.default_timezone_for(series)
            form.fill_chair_rows([(c.user_id, c.role_label) for c in series.default_chairs])
    form.add_spare_chair_rows()
    form.set_user_choices(_chair_candidates())
    if form.validate_on_submit():
        meeting = service.create_meeting(_details_from(form, series_by_id), current_user)
        try:
            db.session.commit()
        except IntegrityError:
            _number_taken_error(form)
        else:
            flash(_("Meeting created as a draft."), "success")
            return redirect(url_for("meetings.show", meeting_id=meeting.id))
    code = 400 if request.method == "POST" else 200
    return render_template("meetings/form.html", form=form, meeting=None), code


@bp.route("/meetings/<id:meeting_id>/edit", methods=["GET", "POST"])
@secretariat_required
def edit(meeting_id: int):
    meeting = get_meeting_or_404(meeting_id)
    series_list = _all_series()
    series_by_id = {s.id: s for s in series_list}
    form = MeetingForm(series_choices=series_list, meeting_id=meeting.id)
    if request.method == "GET":
        form.title.data = meeting.title
        form.series_id.data = meeting.series_id or 0
        form.number.data = meeting.number
        form.kind.data = meeting.kind.value
        form.description.data = meeting.description
        form.timezone.data = meeting.timezone
        form.starts_at.data = service.utc_to_local(meeting.starts_at, meeting.timezone)
        form.ends_at.data = service.utc_to_local(meeting.ends_at, meeting.timezone)
        form.rsvp_deadline.data = service.utc_to_local(meeting.rsvp_deadline, meeting.timezone)
        form.venue.data = meeting.venue
        form.online_url.data = meeting.online_url
        form.capacity.data = meeting.capacity
        form.language.data = meeting.language
        form.reminder_days.data = meeting.reminder_days
        form.fill_chair_rows([(c.user_id, c.role_label) for c in meeting.chairs])
    form.add_spare_chair_rows()
    form.set_user_choices(_chair_candidates({c.user_id for c in meeting.chairs}))
    if form.validate_on_submit():
        changes = service.update_meeting(
            meeting,
            _details_from(form, series_by_id),
            by=current_user,
        )
        try:
            db.session.commit()
        except IntegrityError:
            _number_taken_error(form)
        else:
            flash(
                _("Meeting saved.") if changes else _("Nothing was changed."),
                "success",
            )
            return redirect(url_for("meetings.show", meeting_id=meeting.id))
    code = 400 if request.method == "POST" else 200
    return render_template("meetings/form.html", form=form, meeting=meeting), code


# --- series ----------------------------------------------------------------


@bp.get("/series")
@secretariat_required
def series_list():
    meeting_counts = (
        sa.select(Meeting.series_id, sa.func.count(Meeting.id).label("n"))
        .group_by(Meeting.series_id)
        .subquery()
    )
    rows = db.session.execute(
        sa.select(Series, sa.func.coalesce(meeting_counts.c.n, 0))
        .outerjoin(meeting_counts, meeting_counts.c.series_id == Series.id)
        .options(selectinload(Series.default_chairs).joinedload(SeriesChair.user))
        .order_by(Series.name)
    ).all()
    return render_template("meetings/series_list.html", rows=rows)


@bp.get("/series/<id:series_id>")
@secretariat_required
def series_show(series_id: int):
    series = _series_or_404(series_id)
    meetings = db.session.scalars(
        sa.select(Meeting)
        .where(Meeting.series_id == series.id)
        .order_by(Meeting.number.desc(), Meeting.starts_at.desc())
    ).all()
    return render_template("meetings/series_show.html", series=series, meetings=meetings)


def _series_form_choices(form: SeriesForm, series: Series | None) -> None:
    keep_contacts = {c.id for c in series.default_contacts} if series else set()
    keep_orgs = {o.id for o in series.default_organisations} if series else set()
    contacts = db.session.scalars(
        sa.select(Contact)
        .join(Contact.organisation)
        .where(Contact.active.is_(True) | Contact.id.in_(keep_contacts))
        .options(joinedload(Contact.organisation))
        .order_by(Contact.name)
    )
    form.contact_ids.choices = [
        SelectChoice(c.id, f"{c.name} — {c.organisation.display_name}") for c in contacts
    ]
    organisations = db.session.scalars(
        sa.select(Organisation)
        .where(Organisation.active.is_(True) | Organisation.id.in_(keep_orgs))
        .order_by(Organisation.name)
    )
    form.organisation_ids.choices = [SelectChoice(o.id, o.display_name) for o in organisations]
    keep_users = {c.user_id for c in series.default_chairs} if series else set()
    form.add_spare_chair_rows()
    form.set_user_choices(_chair_candidates(keep_users))


def _save_series(form: SeriesForm, series: Series | None):
    contacts = db.session.scalars(
        sa.select(Contact).where(Contact.id.in_(form.contact_ids.data or []))
    ).all()
    organisations = db.session.scalars(
        sa.select(Organisation).where(Organisation.id.in_(form.organisation_ids.data or []))
    ).all()
    with db.session.no_autoflush:
        saved = service.save_series(
            series,
            name=form.name.data,
            description=form.description.data,
            chairs=_chairs_from(form),
            contacts=list(contacts),
            organisations=list(organisations),
            uses_gcm=form.uses_gcm.data,
            by=current_user,
        )
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        form.name.errors = list(form.name.errors) + [_("A series with this name already exists.")]
        return None
    return saved


@bp.route("/series/new", methods=["GET", "POST"])
@secretariat_required
def series_new():
    form = SeriesForm()
    _series_form_choices(form, None)
    if form.validate_on_submit():
        series = _save_series(form, None)
        if series is not None:
            flash(_("Series created."), "success")
            return redirect(url_for("meetings.series_show", series_id=series.id))
    code = 400 if request.method == "POST" else 200
    return render_template("meetings/series_form.html", form=form, series=None), code


@bp.route("/series/<id:series_id>/edit", methods=["GET", "POST"])
@secretariat_required
def series_edit(series_id: int):
    series = _series_or_404(series_id)
    form = SeriesForm(series_id=series.id)
    if request.method == "GET":
        form.name.data = series.name
        form.description.data = series.description
        form.uses_gcm.data = series.uses_gcm
        form.contact_ids.data = [c.id for c in series.default_contacts]
        form.organisation_ids.data = [o.id for o in series.default_organisations]
        form.fill_chair_rows([(c.user_id, c.role_label) for c in series.default_chairs])
    _series_form_choices(form, series)
    if form.validate_on_submit():
        if _save_series(form, series) is not None:
            flash(_("Series saved."), "success")
            return redirect(url_for("meetings.series_show", series_id=series.id))
        series = _series_or_404(series_id)
    code = 400 if request.method == "POST" else 200
    return render_template("meetings/series_form.html", form=form, series=series), code
