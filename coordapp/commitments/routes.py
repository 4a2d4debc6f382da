"""Commitments: capture at a meeting, the commitment page with its history, the tracker
across meetings and series, follow-up at the next meeting, and the responsible
contact's personal status-update page."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from coordapp import errors
from coordapp.access import login_required, public, secretariat_required
from coordapp.commitments import chart, service
from coordapp.commitments.forms import (
    CommitmentForm,
    StatusUpdateForm,
    TrackerFilterForm,
)
from coordapp.extensions import db
from coordapp.gcm import gcm_label, sdg_label
from coordapp.i18n import use_link_language
from coordapp.inputs import ConfirmForm, bounded_int
from coordapp.models import Contact, Meeting, Organisation, Series
from coordapp.models.agenda import AgendaItem
from coordapp.models.commitment import Commitment, CommitmentStatus
from coordapp.models.directory import Category
from coordapp.timefmt import due_date_label
from coordapp.web import get_meeting_or_404, get_or_404, load_by_link

bp = Blueprint("commitments", __name__)


def _commitment_or_404(commitment_id: int, *, with_history: bool = False) -> Commitment:
    return get_or_404(
        Commitment,
        commitment_id,
        *service.commitment_page_options(with_history=with_history),
        message=_l("This commitment does not exist."),
    )


# Formatting helpers for commitments in any template (the meeting page, the minutes
# document…); none of them queries.
@bp.app_template_filter()
def commitment_due(commitment: Commitment) -> str:
    """ "Q2 2027" or the formatted due date, or "" when there is none."""
    return due_date_label(commitment.due_date, commitment.due_quarter)


@bp.app_template_global("commitment_is_overdue")
def commitment_is_overdue(commitment: Commitment) -> bool:
    return service.is_overdue(commitment)


# --- capture at a meeting ----------------------------------------------------------------


def _commitment_form(meeting: Meeting, commitment: Commitment | None = None) -> CommitmentForm:
    form = CommitmentForm(obj=None)
    if commitment is not None and request.method == "GET":
        form.organisation_ids.data = [org.id for org in commitment.organisations]
        form.description.data = commitment.description
        form.responsible_contact_id.data = commitment.responsible_contact_id or 0
        form.agenda_item_id.data = commitment.agenda_item_id or 0
        if commitment.due_quarter:
            form.due_quarter.data = service.quarter_text(commitment)
        else:
            form.due_date.data = commitment.due_date
        form.goals.data = commitment.goals
        form.gcm_objectives.data = commitment.gcm_objectives
    if not service.uses_gcm(meeting):
        del form.gcm_objectives
    keep_orgs = [org.id for org in commitment.organisations] if commitment else []
    form.organisation_ids.choices = [
        (org.id, org.display_name) for org in service.organisation_choices(keep_orgs)
    ]
    form.responsible_contact_id.choices = [(0, _("— nobody named —"))] + [
        (contact.id, f"{contact.name} ({contact.organisation.display_name})")
        for contact in service.contact_choices(
            commitment.responsible_contact_id if commitment else None
        )
    ]
    form.agenda_item_id.choices = [(0, _("— the meeting as a whole —"))] + [
        (item.id, f"{n}. {item.title}")
        for n, item in enumerate(service.agenda_items_of(meeting), start=1)
    ]
    return form


def _values_from(form: CommitmentForm) -> service.CommitmentValues:
    organisations = list(
        db.session.scalars(
            db.select(Organisation).where(Organisation.id.in_(form.organisation_ids.data))
        )
    )
    responsible = (
        db.session.get(Contact, form.responsible_contact_id.data)
        if form.responsible_contact_id.data
        else None
    )
    agenda_item = (
        db.session.get(AgendaItem, form.agenda_item_id.data) if form.agenda_item_id.data else None
    )
    if form.due_quarter.data:
        quarter, year = form.parsed_quarter
        due_date, due_quarter = service.quarter_last_day(quarter, year), quarter
    else:
        due_date, due_quarter = form.due_date.data, None
    return service.CommitmentValues(
        description=form.description.data,
        organisations=organisations,
        responsible=responsible,
        due_date=due_date,
        due_quarter=due_quarter,
        goals=form.goals.data or [],
        agenda_item=agenda_item,
        gcm_objectives=(form.gcm_objectives.data or []) if "gcm_objectives" in form else None,
    )


@bp.route("/meetings/<id:meeting_id>/commitments", methods=["GET", "POST"])
@secretariat_required
def meeting_index(meeting_id: int):
    meeting = get_meeting_or_404(meeting_id)
    form = _commitment_form(meeting)
    if request.method == "POST":
        if form.validate():
            commitment = service.create_commitment(
                meeting, _values_from(form), by_user=current_user
            )
            db.session.commit()
            flash(_("Commitment saved."), "success")
            return redirect(
                url_for(
                    "commitments.meeting_index",
                    meeting_id=meeting.id,
                    _anchor=f"commitment-{commitment.id}",
                ),
                code=303,
            )
        flash(_("The commitment was not saved. Please correct the marked fields."), "error")
    elif request.args.get("agenda_item", type=bounded_int):
        form.agenda_item_id.data = request.args.get("agenda_item", type=bounded_int)
    code = 400 if form.errors else 200
    commitments = service.commitments_of_meeting(meeting.id)
    return render_template(
        "commitments/meeting_index.html",
        meeting=meeting,
        commitments=commitments,
        show_gcm=service.shows_gcm(meeting, commitments),
        form=form,
        follow_up_item=service.follow_up_item(meeting) if meeting.series_id else None,
        confirm_form=ConfirmForm(),
    ), code


@bp.route("/commitments/<id:commitment_id>/edit", methods=["GET", "POST"])
@secretariat_required
def edit(commitment_id: int):
    commitment = _commitment_or_404(commitment_id)
    meeting = commitment.meeting
    form = _commitment_form(meeting, commitment)
    if request.method == "POST":
        if form.validate():
            service.update_commitment(commitment, _values_from(form), by=current_user)
            db.session.commit()
            flash(_("Commitment saved."), "success")
            return redirect(url_for("commitments.show", commitment_id=commitment.id), code=303)
        flash(_("The commitment was not saved. Please correct the marked fields."), "error")
    return render_template(
        "commitments/form.html", commitment=commitment, meeting=meeting, form=form
    ), (400 if form.errors else 200)


# --- one commitment ----------------------------------------------------------------------


def _render_show(
    commitment: Commitment, update_form: StatusUpdateForm | None = None, code: int = 200
):
    if update_form is None:
        update_form = StatusUpdateForm()
        update_form.status.data = commitment.status.value
    return render_template(
        "commitments/show.html",
        commitment=commitment,
        meeting=commitment.meeting,
        can_edit=current_user.is_secretariat,
        update_form=update_form,
        confirm_form=ConfirmForm(),
        overdue=service.is_overdue(commitment),
        show_gcm=service.shows_gcm(commitment.meeting, [commitment]),
    ), code


@bp.get("/commitments/<id:commitment_id>")
@login_required
def show(commitment_id: int):
    return _render_show(_commitment_or_404(commitment_id, with_history=True))


@bp.post("/commitments/<id:commitment_id>/updates")
@secretariat_required
def add_status_update(commitment_id: int):
    commitment = _commitment_or_404(commitment_id, with_history=True)
    form = StatusUpdateForm()
    if not form.validate():
        flash(_("The update was not recorded. Please correct the marked fields."), "error")
        return _render_show(commitment, form, 400)
    service.add_update(
        commitment, CommitmentStatus(form.status.data), form.note.data, by_user=current_user
    )
    db.session.commit()
    flash(_("Status update recorded."), "success")
    return redirect(url_for("commitments.show", commitment_id=commitment.id), code=303)


@bp.post("/commitments/<id:commitment_id>/status-request")
@secretariat_required
def request_status(commitment_id: int):
    commitment = _commitment_or_404(commitment_id, with_history=True)
    if not ConfirmForm().validate():
        abort(400)
    try:
        service.queue_status_request(commitment, by_user=current_user)
    except service.CommitmentError as error:
        flash(str(error), "error")
        return _render_show(commitment, code=error.status)
    db.session.commit()
    flash(_("A status request was sent to %(name)s.", name=commitment.responsible.name), "success")
    return redirect(url_for("commitments.show", commitment_id=commitment.id), code=303)


# --- the tracker -------------------------------------------------------------------------


def _tracker_filters() -> tuple[TrackerFilterForm, service.TrackerFilters, dict]:
    """The filters from the query string: the form (with its errors), the filters the
    query uses, and the same as URL arguments (for sort links, pages and the CSV).
    The GCM filter exists only where the GCM is in use (`service.gcm_in_use`)."""
    form = TrackerFilterForm(request.args)
    if not service.gcm_in_use():
        del form.gcm
    form.series.choices = [(0, _("All series"))] + [
        (series.id, series.name)
        for series in db.session.scalars(db.select(Series).order_by(Series.name))
    ]
    form.organisation.choices = [(0, _("All organisations"))] + [
        (org.id, org.display_name)
        for org in db.session.scalars(db.select(Organisation).order_by(Organisation.name))
    ]
    form.validate()
    filters = service.TrackerFilters()
    args: dict = {}
    if not form.series.errors and form.series.data:
        filters.series_id = args["series"] = form.series.data
    if not form.organisation.errors and form.organisation.data:
        filters.organisation_id = args["organisation"] = form.organisation.data
    if not form.status.errors and form.status.data:
        filters.status = CommitmentStatus(form.status.data)
        args["status"] = form.status.data
    if not form.category.errors and form.category.data:
        filters.category = Category(form.category.data)
        args["category"] = form.category.data
    if not form.sdg.errors and form.sdg.data:
        filters.sdg = args["sdg"] = form.sdg.data
    if "gcm" in form and not form.gcm.errors and form.gcm.data:
        filters.gcm = args["gcm"] = form.gcm.data
    if form.overdue.data:
        filters.overdue = True
        args["overdue"] = "y"
    meeting_id = request.args.get("meeting", type=bounded_int)
    if meeting_id:
        filters.meeting_id = args["meeting"] = meeting_id
    return form, filters, args


def _sort() -> tuple[str, bool]:
    sort = request.args.get("sort", "due")
    if sort not in service.SORTS:
        sort = "due"
    return sort, request.args.get("dir") == "desc"


@bp.get("/commitments")
@login_required
def tracker():
    form, filters, args = _tracker_filters()
    sort, descending = _sort()
    pagination = db.paginate(
        service.tracker_query(filters, sort, descending),
        page=request.args.get("page", 1, type=bounded_int) or 1,
        per_page=current_app.config["PER_PAGE"],
        error_out=False,
    )
    by_status = service.counts_by_status(filters)
    by_sdg = service.counts_by_sdg(filters)
    show_gcm = "gcm" in form
    by_gcm = service.counts_by_gcm(filters) if show_gcm else {}
    status_chart = chart.bar_chart(
        _("Commitments by status"), [(status.label, count) for status, count in by_status.items()]
    )
    sdg_chart = (
        chart.bar_chart(
            _("Commitments by SDG"),
            [(sdg_label(goal), count) for goal, count in by_sdg.items()],
        )
        if by_sdg
        else None
    )
    # Only objectives some commitment counts for: an empty chart says nothing.
    gcm_chart = (
        chart.bar_chart(
            _("Commitments by GCM objective"),
            [(gcm_label(objective), count) for objective, count in by_gcm.items()],
        )
        if by_gcm
        else None
    )
    meeting = db.session.get(Meeting, filters.meeting_id) if filters.meeting_id else None
    return render_template(
        "commitments/tracker.html",
        form=form,
        args=args,
        sort=sort,
        descending=descending,
        pagination=pagination,
        status_chart=status_chart,
        sdg_chart=sdg_chart,
        gcm_chart=gcm_chart,
        show_gcm=show_gcm,
        total=sum(by_status.values()),
        meeting=meeting,
        today=service.today(),
    )


@bp.get("/commitments.csv")
@login_required
def export_csv():
    _form, filters, _args = _tracker_filters()
    sort, descending = _sort()
    commitments = db.session.scalars(service.tracker_query(filters, sort, descending))
    return Response(
        service.export_csv(commitments),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=commitments.csv"},
    )


# --- follow-up at the next meeting of the series -----------------------------------------


@bp.post("/meetings/<id:meeting_id>/commitments/follow-up")
@secretariat_required
def add_follow_up_item(meeting_id: int):
    meeting = get_meeting_or_404(meeting_id)
    if not ConfirmForm().validate():
        abort(400)
    _item, created = service.add_follow_up_item(meeting, by=current_user)
    db.session.commit()
    if created:
        flash(
            _("The item “Follow-up of commitments” was added at the end of the agenda."), "success"
        )
    else:
        flash(_("The agenda already has a “Follow-up of commitments” item."), "info")
    return redirect(url_for("commitments.follow_up", meeting_id=meeting.id), code=303)


def _follow_up_form(commitment: Commitment) -> StatusUpdateForm:
    """A blank status form for one commitment of a follow-up list."""
    form = StatusUpdateForm(prefix=f"c{commitment.id}", formdata=None)
    form.status.data = commitment.status.value
    return form


def _render_follow_up(
    meeting: Meeting, failed: tuple[int, StatusUpdateForm] | None = None, code: int = 200
):
    rows = service.follow_up_rows(meeting)
    forms = {}
    if current_user.is_secretariat:
        forms = {row.commitment.id: _follow_up_form(row.commitment) for row in rows}
        forms.update([failed] if failed else [])
    return render_template(
        "commitments/follow_up.html",
        meeting=meeting,
        follow_up_rows=rows,
        follow_up_forms=forms,
        follow_up_item=service.follow_up_item(meeting) if meeting.series_id else None,
        confirm_form=ConfirmForm(),
    ), code


@bp.get("/meetings/<id:meeting_id>/follow-up")
@login_required
def follow_up(meeting_id: int):
    return _render_follow_up(get_meeting_or_404(meeting_id))


@bp.post("/meetings/<id:meeting_id>/follow-up/<id:commitment_id>")
@secretariat_required
def record_follow_up(meeting_id: int, commitment_id: int):
    meeting = get_meeting_or_404(meeting_id)
    commitment = _commitment_or_404(commitment_id)
    made_at = commitment.meeting
    if (
        meeting.series_id is None
        or made_at.series_id != meeting.series_id
        or made_at.id == meeting.id
        or made_at.starts_at >= meeting.starts_at
    ):
        abort(404, _("This commitment is not followed up at this meeting."))
    form = StatusUpdateForm(prefix=f"c{commitment.id}")
    if not form.validate():
        flash(_("The update was not recorded. Please correct the marked fields."), "error")
        return _render_follow_up(meeting, (commitment.id, form), 400)
    service.add_update(
        commitment,
        CommitmentStatus(form.status.data),
        form.note.data,
        meeting=meeting,
        by_user=current_user,
    )
    db.session.commit()
    flash(_("Status update recorded."), "success")
    return redirect(
        url_for(
            "commitments.follow_up", meeting_id=meeting.id, _anchor=f"commitment-{commitment.id}"
        ),
        code=303,
    )


# --- the responsible contact's personal page ---------------------------------------------


def _problem(code: int, message: str):
    return Response(
        render_template("commitments/problem.html", code=code, message=message), status=code
    )


def _commitment_with_responsible(link_id: str) -> Commitment | None:
    commitment = service.get_commitment_by_link(link_id)
    # Only the responsible contact's link exists.
    return commitment if commitment is not None and commitment.responsible else None


def _load_by_token(token: str) -> Commitment:
    """The commitment behind a status link: 404 (wrong link) or 429 (guessing)."""
    return load_by_link(token, service.STATUS_LINK, _commitment_with_responsible)


@bp.errorhandler(404)
@bp.errorhandler(429)
def _problem_page(error):
    # The personal page has its own problem page (no navigation for a logged-in user).
    if request.endpoint == "commitments.status_form":
        return _problem(error.code, error.description)
    return errors.http_error(error)


@bp.after_request
def _keep_personal_pages_private(response: Response) -> Response:
    # No caches and no Referer to other sites: coordapp/headers.py, for every page.
    if request.endpoint == "commitments.status_form":
        response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


@bp.route("/commitments/status/<token>", methods=["GET", "POST"])
@public
def status_form(token: str):
    commitment = _load_by_token(token)
    use_link_language(token, commitment.responsible.language)
    form = StatusUpdateForm()
    code = 200
    if request.method == "POST":
        if form.validate():
            try:
                service.add_update(
                    commitment,
                    CommitmentStatus(form.status.data),
                    form.note.data,
                    by_contact=commitment.responsible,
                    through_link=commitment.link_id,
                )
            except service.StatusLinkRevoked as revoked:
                db.session.rollback()
                abort(revoked.status, revoked.message)
            db.session.commit()
            return redirect(url_for("commitments.status_form", token=token, done=1), code=303)
        code = 400
    else:
        form.status.data = commitment.status.value
    return render_template(
        "commitments/status_form.html",
        commitment=commitment,
        meeting=commitment.meeting,
        contact=commitment.responsible,
        form=form,
        done=request.method == "GET" and request.args.get("done"),
        overdue=service.is_overdue(commitment),
    ), code
