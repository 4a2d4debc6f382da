"""The stakeholder directory: organisations, contacts, CSV import and export."""

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
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from coordapp.access import secretariat_required
from coordapp.directory import service
from coordapp.directory.forms import (
    ContactForm,
    DirectoryFilterForm,
    ImportForm,
    OrganisationForm,
    choices,
)
from coordapp.extensions import db
from coordapp.inputs import bounded_int
from coordapp.models import Category, Contact, Organisation, PendingImport

bp = Blueprint("directory", __name__, url_prefix="/directory")


def _filters() -> tuple[DirectoryFilterForm, dict]:
    """The list filters from the query string, and the same as URL arguments."""
    form = DirectoryFilterForm(request.args)
    form.validate()
    category = form.category.data if not form.category.errors else ""
    args = {
        "q": form.q.data[:200] if form.q.data else "",
        "category": category or "",
        "inactive": "y" if form.inactive.data else "",
    }
    return form, {key: value for key, value in args.items() if value}


def _query_arguments(args: dict) -> dict:
    return {
        "q": args.get("q", ""),
        "category": Category(args["category"]) if args.get("category") else None,
        "include_inactive": bool(args.get("inactive")),
    }


def _page() -> int:
    return request.args.get("page", 1, type=bounded_int) or 1


# --- Organisations -----------------------------------------------------------------------


@bp.get("/organisations")
@secretariat_required
def organisations():
    form, args = _filters()
    pagination = db.paginate(
        service.organisations_query(**_query_arguments(args)),
        page=_page(),
        per_page=current_app.config["PER_PAGE"],
        error_out=False,
    )
    counts = service.active_contact_counts(org.id for org in pagination.items)
    return render_template(
        "directory/organisations.html", form=form, args=args, pagination=pagination, counts=counts
    )


@bp.get("/organisations/<id:org_id>")
@secretariat_required
def organisation(org_id: int):
    org = db.get_or_404(Organisation, org_id)
    contacts = db.session.scalars(
        service.contacts_query(include_inactive=True).where(Contact.organisation_id == org.id)
    ).all()
    return render_template(
        "directory/organisation.html",
        org=org,
        contacts=contacts,
        language_names=service.LANGUAGE_NAMES,
    )


def _organisation_form(org: Organisation | None) -> OrganisationForm:
    form = OrganisationForm(obj=org)
    if org is not None and request.method == "GET":
        form.category.data = org.category.value
        form.parent_id.data = org.parent_id or 0
    form.parent_id.choices = choices(
        [
            (0, _("— none —")),
            *service.organisation_choices(
                include_id=org.parent_id if org else None, exclude_id=org.id if org else None
            ),
        ]
    )
    return form


def _validate_organisation(form: OrganisationForm, org: Organisation | None) -> bool:
    if not form.validate_on_submit():
        return False
    ok = True
    if service.organisation_name_taken(form.name.data, except_id=org.id if org else None):
        form.name.errors.append(_("An organisation with this name already exists."))
        ok = False
    if org is not None and form.parent_id.data:
        parent = db.session.get(Organisation, form.parent_id.data)
        if service.would_make_cycle(org, parent):
            form.parent_id.errors.append(
                _("An organisation cannot be part of itself or of one of its own units.")
            )
            ok = False
    return ok


def _organisation_values(form: OrganisationForm) -> dict:
    return {
        "name": form.name.data,
        "acronym": form.acronym.data or None,
        "category": Category(form.category.data),
        "parent_id": form.parent_id.data or None,
    }


@bp.route("/organisations/new", methods=["GET", "POST"])
@secretariat_required
def new_organisation():
    form = _organisation_form(None)
    if _validate_organisation(form, None):
        org = service.create_organisation(**_organisation_values(form), by=current_user)
        if _commit_or_explain(form.name, _("An organisation with this name already exists.")):
            flash(_("Organisation “%(name)s” created.", name=org.name), "success")
            return redirect(url_for("directory.organisation", org_id=org.id))
    status = 400 if form.errors else 200
    return render_template("directory/organisation_form.html", form=form, org=None), status


@bp.route("/organisations/<id:org_id>/edit", methods=["GET", "POST"])
@secretariat_required
def edit_organisation(org_id: int):
    org = db.get_or_404(Organisation, org_id)
    form = _organisation_form(org)
    if _validate_organisation(form, org):
        service.update_organisation(org, **_organisation_values(form), by=current_user)
        if _commit_or_explain(form.name, _("An organisation with this name already exists.")):
            flash(_("Organisation “%(name)s” saved.", name=org.name), "success")
            return redirect(url_for("directory.organisation", org_id=org.id))
    status = 400 if form.errors else 200
    return render_template("directory/organisation_form.html", form=form, org=org), status


@bp.post("/organisations/<id:org_id>/deactivate")
@secretariat_required
def deactivate_organisation(org_id: int):
    org = db.get_or_404(Organisation, org_id)
    service.set_organisation_active(org, False, by=current_user)
    db.session.commit()
    flash(_("Organisation “%(name)s” deactivated.", name=org.name), "success")
    return redirect(url_for("directory.organisation", org_id=org.id))


@bp.post("/organisations/<id:org_id>/reactivate")
@secretariat_required
def reactivate_organisation(org_id: int):
    org = db.get_or_404(Organisation, org_id)
    service.set_organisation_active(org, True, by=current_user)
    db.session.commit()
    flash(_("Organisation “%(name)s” reactivated.", name=org.name), "success")
    return redirect(url_for("directory.organisation", org_id=org.id))


# --- Contacts ----------------------------------------------------------------------------


@bp.get("/contacts")
@secretariat_required
def contacts():
    form, args = _filters()
    pagination = db.paginate(
        service.contacts_query(**_query_arguments(args)),
        page=_page(),
        per_page=current_app.config["PER_PAGE"],
        error_out=False,
    )
    return render_template(
        "directory/contacts.html",
        form=form,
        args=args,
        pagination=pagination,
        language_names=service.LANGUAGE_NAMES,
    )


def _contact_form(contact: Contact | None) -> ContactForm:
    form = ContactForm(obj=contact)
    if contact is None and request.method == "GET":
        form.organisation_id.data = request.args.get("organisation_id", type=bounded_int)
    form.organisation_id.choices = choices(
        service.organisation_choices(include_id=contact.organisation_id if contact else None)
    )
    return form


def _validate_contact(form: ContactForm, contact: Contact | None) -> bool:
    if not form.validate_on_submit():
        return False
    if service.email_taken(form.email.data, except_id=contact.id if contact else None):
        form.email.errors.append(_("A contact with this email address already exists."))
        return False
    return True


def _contact_values(form: ContactForm) -> dict:
    return {
        "name": form.name.data,
        "position": form.position.data or None,
        "email": form.email.data,
        "phone": form.phone.data or None,
        "language": form.language.data,
        "organisation_id": form.organisation_id.data,
    }


def _commit_or_explain(form_field, message: str) -> bool:
    """Commit; if a unique constraint refuses it (a race with another user), say why."""
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        form_field.errors.append(message)
        return False
    return True


@bp.route("/contacts/new", methods=["GET", "POST"])
@secretariat_required
def new_contact():
    form = _contact_form(None)
    if _validate_contact(form, None):
        contact = service.create_contact(**_contact_values(form), by=current_user)
        if _commit_or_explain(form.email, _("A contact with this email address already exists.")):
            flash(_("Contact “%(name)s” created.", name=contact.name), "success")
            return redirect(url_for("directory.contacts"))
    status = 400 if form.errors else 200
    return render_template("directory/contact_form.html", form=form, contact=None), status


@bp.route("/contacts/<id:contact_id>/edit", methods=["GET", "POST"])
@secretariat_required
def edit_contact(contact_id: int):
    contact = db.get_or_404(Contact, contact_id)
    form = _contact_form(contact)
    if _validate_contact(form, contact):
        service.update_contact(contact, **_contact_values(form), by=current_user)
        if _commit_or_explain(form.email, _("A contact with this email address already exists.")):
            flash(_("Contact “%(name)s” saved.", name=contact.name), "success")
            return redirect(url_for("directory.contacts"))
    status = 400 if form.errors else 200
    return render_template("directory/contact_form.html", form=form, contact=contact), status


@bp.post("/contacts/<id:contact_id>/deactivate")
@secretariat_required
def deactivate_contact(contact_id: int):
    contact = db.get_or_404(Contact, contact_id)
    service.set_contact_active(contact, False, by=current_user)
    db.session.commit()
    flash(_("Contact “%(name)s” deactivated.", name=contact.name), "success")
    return redirect(url_for("directory.edit_contact", contact_id=contact.id))


@bp.post("/contacts/<id:contact_id>/reactivate")
@secretariat_required
def reactivate_contact(contact_id: int):
    contact = db.get_or_404(Contact, contact_id)
    service.set_contact_active(contact, True, by=current_user)
    db.session.commit()
    flash(_("Contact “%(name)s” reactivated.", name=contact.name), "success")
    return redirect(url_for("directory.edit_contact", contact_id=contact.id))


# --- CSV export and import ---------------------------------------------------------------


@bp.get("/contacts/export.csv")
@secretariat_required
def export_contacts():
    _form, args = _filters()
    contacts = db.session.scalars(service.contacts_query(**_query_arguments(args))).all()
    return Response(
        service.export_contacts_csv(contacts),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=contacts.csv"},
    )


@bp.route("/contacts/import", methods=["GET", "POST"])
@secretariat_required
def import_contacts():
    form = ImportForm()
    if form.validate_on_submit():
        upload = form.file.data
        try:
            text = service.decode_upload(upload.read())
        except service.ImportFileError as error:
            form.file.errors.append(str(error))
        else:
            pending = service.store_pending_import(current_user, upload.filename or "", text)
            db.session.commit()
            return redirect(url_for("directory.import_preview", import_id=pending.id))
    status = 400 if form.errors else 200
    return render_template(
        "directory/import_upload.html", form=form, columns=service.CSV_COLUMNS
    ), status


def _pending_import_or_404(import_id: int) -> PendingImport:
    pending = db.session.get(PendingImport, import_id)
    if pending is None:
        abort(404, _("This import was already confirmed or cancelled. Upload the file again."))
    if not service.can_use_import(current_user, pending):
        abort(403)
    return pending


def _render_preview(pending: PendingImport, plan: service.ImportPlan, status: int = 200):
    return render_template(
        "directory/import_preview.html",
        pending=pending,
        plan=plan,
        language_names=service.LANGUAGE_NAMES,
        column_labels=service.COLUMN_LABELS,
    ), status


@bp.get("/contacts/import/<id:import_id>")
@secretariat_required
def import_preview(import_id: int):
    pending = _pending_import_or_404(import_id)
    return _render_preview(pending, service.plan_import(pending.content))


@bp.post("/contacts/import/<id:import_id>/confirm")
@secretariat_required
def confirm_import(import_id: int):
    pending = _pending_import_or_404(import_id)
    # Read the file again: the directory may have changed since the preview.
    plan = service.plan_import(pending.content)
    if plan.errors:
        flash(
            _(
                "Nothing was imported: the file has rows with errors. Correct them in the file "
                "and upload it again."
            ),
            "error",
        )
        return _render_preview(pending, plan, 400)
    try:
        counts = service.confirm_import(pending, plan, by=current_user)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        flash(
            _(
                "Nothing was imported: someone changed the directory at the same time. "
                "Please check the preview and confirm again."
            ),
            "error",
        )
        return redirect(url_for("directory.import_preview", import_id=import_id))
    flash(
        _(
            "Import done: %(added)s contacts added, %(updated)s updated, %(unchanged)s "
            "unchanged, %(organisations)s organisations created.",
            added=counts["added"],
            updated=counts["updated"],
            unchanged=counts["unchanged"],
            organisations=counts["organisations_created"],
        ),
        "success",
    )
    return redirect(url_for("directory.contacts"))


@bp.post("/contacts/import/<id:import_id>/cancel")
@secretariat_required
def cancel_import(import_id: int):
    pending = _pending_import_or_404(import_id)
    db.session.delete(pending)
    db.session.commit()
    flash(_("Import cancelled; nothing was changed."), "info")
    return redirect(url_for("directory.contacts"))
