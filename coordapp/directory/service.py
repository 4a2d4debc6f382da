"""The directory's rules: finding, saving (with an audit trail), and the CSV
import and export of contacts with their organisations."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask_babel import force_locale, lazy_pgettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import contains_eager, joinedload

from coordapp import audit
from coordapp.errors import DomainError
from coordapp.extensions import db
from coordapp.inputs import FORMULA_START, text_refusal
from coordapp.models import CATEGORY_LABELS, Category, Contact, Organisation, PendingImport, User
from coordapp.models.base import utcnow
from coordapp.models.locking import lock_row

LANGUAGE_NAMES = {
    "en": _l("English"),
    "ru": _l("Russian"),
    "be": _l("Belarusian"),
    "fr": _l("French"),
    "es": _l("Spanish"),
    "ar": _l("Arabic"),
    "zh": _l("Chinese"),
}
# Accepted in an imported file besides the codes, whatever the interface language.
ENGLISH_LANGUAGE_NAMES = {
    "english": "en",
    "russian": "ru",
    "belarusian": "be",
    "french": "fr",
    "spanish": "es",
    "arabic": "ar",
    "chinese": "zh",
}

# How the import's columns are called on screen.
COLUMN_LABELS = {
    "name": lazy_pgettext("person", "Name"),
    "position": _l("Position"),
    "email": _l("Email"),
    "phone": _l("Phone"),
    "language": _l("Language"),
    "organisation": _l("Organisation"),
    "acronym": _l("Acronym"),
    "category": _l("Category"),
}

ORGANISATION_FIELDS = [
    "name",
    "acronym",
    "category",
    "parent_id",
    "active",
    "general_email",
    "head_name",
    "head_title",
    "language",
]
CONTACT_FIELDS = [
    "name",
    "position",
    "email",
    "phone",
    "language",
    "organisation_id",
    "active",
    "focal_point",
]

CSV_COLUMNS = [
    "name",
    "position",
    "email",
    "phone",
    "language",
    "organisation",
    "acronym",
    "category",
]
REQUIRED_COLUMNS = ["name", "email", "organisation", "category"]
MAX_LENGTHS = {
    "name": 200,
    "position": 200,
    "email": 254,
    "phone": 50,
    "organisation": 300,
    "acronym": 50,
}
# Bind parameters per IN (...) query; stays well under SQLite's limit.
LOOKUP_CHUNK = 900
PENDING_IMPORT_LIFETIME = timedelta(days=1)


# --- Finding -----------------------------------------------------------------------------


def organisations_query(
    q: str = "", category: Category | None = None, include_inactive: bool = False
) -> sa.Select:
    query = sa.select(Organisation).options(joinedload(Organisation.parent))
    if q:
        query = query.where(Organisation.search_text.contains(q.casefold(), autoescape=True))
    if category:
        query = query.where(Organisation.category == category)
    if not include_inactive:
        query = query.where(Organisation.active.is_(True))
    return query.order_by(Organisation.name, Organisation.id)


def contacts_query(
    q: str = "", category: Category | None = None, include_inactive: bool = False
) -> sa.Select:
    query = (
        sa.select(Contact).join(Contact.organisation).options(contains_eager(Contact.organisation))
    )
    if q:
        # The stored, case-folded text (models.directory.search_text): no lower() per row,
        # and "петрова" finds "Петрова" on SQLite too.
        key = q.casefold()
        query = query.where(
            sa.or_(
                Contact.search_text.contains(key, autoescape=True),
                Organisation.search_text.contains(key, autoescape=True),
            )
        )
    if category:
        query = query.where(Organisation.category == category)
    if not include_inactive:
        query = query.where(Contact.active.is_(True))
    return query.order_by(Contact.name, Contact.id)


def active_contact_counts(organisation_ids: Iterable[int]) -> dict[int, int]:
    """{organisation id: number of active contacts}, in one query."""
    ids = list(organisation_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        sa.select(Contact.organisation_id, sa.func.count())
        .where(Contact.organisation_id.in_(ids), Contact.active.is_(True))
        .group_by(Contact.organisation_id)
    )
    return {organisation_id: count for organisation_id, count in rows}


def organisation_choices(
    include_id: int | None = None, exclude_id: int | None = None
) -> list[tuple[int, str]]:
    """Active organisations for a select box (plus `include_id` even if inactive)."""
    condition = Organisation.active.is_(True)
    if include_id:
        condition = sa.or_(condition, Organisation.id == include_id)
    query = sa.select(Organisation).where(condition).order_by(Organisation.name)
    if exclude_id:
        query = query.where(Organisation.id != exclude_id)
    return [(org.id, org.display_name) for org in db.session.scalars(query)]


def organisation_name_taken(name: str, except_id: int | None = None) -> bool:
    query = sa.select(Organisation.id).where(sa.func.lower(Organisation.name) == name.lower())
    if except_id:
        query = query.where(Organisation.id != except_id)
    return db.session.scalar(query.limit(1)) is not None


def email_taken(email: str, except_id: int | None = None) -> bool:
    query = sa.select(Contact.id).where(Contact.email == Contact.normalise_email(email))
    if except_id:
        query = query.where(Contact.id != except_id)
    return db.session.scalar(query.limit(1)) is not None


def would_make_cycle(organisation: Organisation, parent: Organisation | None) -> bool:
    """True if `parent` is the organisation itself or one of its descendants."""
    seen: set[int] = set()
    while parent is not None and parent.id not in seen:
        if parent.id == organisation.id:
            return True
        seen.add(parent.id)
        parent = parent.parent
    return False


# --- Saving, with the audit trail --------------------------------------------------------


def create_organisation(*, by: User | None = None, **values: Any) -> Organisation:
    org = Organisation(**values)
    db.session.add(org)
    db.session.flush()
    audit.record(
        "directory.organisation_create",
        org,
        changes=audit.diff({}, audit.snapshot(org, ORGANISATION_FIELDS)),
        by=by,
    )
    return org


def update_organisation(
    org: Organisation,
    *,
    by: User | None = None,
    **values: Any,
) -> dict[str, list[Any]]:
    # Two tabs saving one organisation: each form is applied whole, one after the other.
    lock_row(db.session, org)
    before = audit.snapshot(org, ORGANISATION_FIELDS)
    for name, value in values.items():
        setattr(org, name, value)
    changes = audit.diff(before, audit.snapshot(org, ORGANISATION_FIELDS))
    if changes:
        audit.record("directory.organisation_edit", org, changes=changes, by=by)
    return changes


def set_organisation_active(org: Organisation, active: bool, *, by: User | None = None) -> None:
    if org.active == active:
        return
    org.active = active
    audit.record(
        "directory.organisation_reactivate" if active else "directory.organisation_deactivate",
        org,
        changes={"active": [not active, active]},
        by=by,
    )


def create_contact(*, by: User | None = None, **values: Any) -> Contact:
    values["email"] = Contact.normalise_email(values["email"])
    contact = Contact(**values)
    db.session.add(contact)
    db.session.flush()
    audit.record(
        "directory.contact_create",
        contact,
        changes=audit.diff({}, audit.snapshot(contact, CONTACT_FIELDS)),
        by=by,
    )
    return contact


def update_contact(
    contact: Contact,
    *,
    by: User | None = None,
    **values: Any,
) -> dict[str, list[Any]]:
    if "email" in values:
        values["email"] = Contact.normalise_email(values["email"])
    # Two tabs saving one contact: each form is applied whole, one after the other.
    lock_row(db.session, contact)
    before = audit.snapshot(contact, CONTACT_FIELDS)
    for name, value in values.items():
        setattr(contact, name, value)
    changes = audit.diff(before, audit.snapshot(contact, CONTACT_FIELDS))
    if changes:
        audit.record("directory.contact_edit", contact, changes=changes, by=by)
    return changes


def set_contact_active(contact: Contact, active: bool, *, by: User | None = None) -> None:
    if contact.active == active:
        return
    contact.active = active
    audit.record(
        "directory.contact_reactivate" if active else "directory.contact_deactivate",
        contact,
        changes={"active": [not active, active]},
        by=by,
    )


# --- CSV export --------------------------------------------------------------------------

_PHONE_LIKE = re.compile(r"^[+\-]?[\d\s().\-/]+$")


def _csv_safe(value: str | None) -> str:
    """Stop a spreadsheet from running a cell as a formula (undone by `_csv_unescape`)."""
    value = value or ""
    if value.startswith(FORMULA_START) and not _PHONE_LIKE.match(value):
        return "'" + value
    return value


def _csv_unescape(value: str) -> str:
    if value.startswith("'") and value[1:].startswith(FORMULA_START):
        return value[1:]
    return value


def export_contacts_csv(contacts: Iterable[Contact]) -> str:
    """The contacts as CSV with the import's columns (UTF-8 with BOM, for spreadsheets)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for contact in contacts:
        org = contact.organisation
        writer.writerow(
            [
                _csv_safe(value)
                for value in (
                    contact.name,
                    contact.position,
                    contact.email,
                    contact.phone,
                    contact.language,
                    org.name,
                    org.acronym,
                    org.category.value,
                )
            ]
        )
    return "\ufeff" + out.getvalue()


# --- CSV import --------------------------------------------------------------------------


class ImportFileError(DomainError):
    """The file as a whole cannot be read; the message says why, for the user."""

    status = 400


ADD, UPDATE, UNCHANGED, ERROR = "add", "update", "unchanged", "error"


@dataclass
class ImportRow:
    number: int  # as a spreadsheet shows it: the header is row 1
    name: str
    position: str | None
    email: str
    phone: str | None
    language: str | None
    organisation: str
    acronym: str | None
    category: Category | None
    errors: list[str] = field(default_factory=list)
    action: str = ""
    changes: dict[str, list[Any]] = field(default_factory=dict)
    contact: Contact | None = None
    new_organisation: bool = False

    @property
    def organisation_key(self) -> str:
        return self.organisation.lower()


@dataclass
class NewOrganisation:
    name: str
    acronym: str | None = None
    category: Category | None = None


@dataclass
class ImportPlan:
    columns: list[str]
    rows: list[ImportRow]
    existing_organisations: dict[str, Organisation]
    new_organisations: dict[str, NewOrganisation]

    def _with(self, action: str) -> list[ImportRow]:
        return [row for row in self.rows if row.action == action]

    @property
    def to_add(self) -> list[ImportRow]:
        return self._with(ADD)

    @property
    def to_update(self) -> list[ImportRow]:
        return self._with(UPDATE)

    @property
    def unchanged(self) -> list[ImportRow]:
        return self._with(UNCHANGED)

    @property
    def errors(self) -> list[ImportRow]:
        return self._with(ERROR)

    @property
    def organisations_to_create(self) -> list[NewOrganisation]:
        used = {
            row.organisation_key
            for row in self.rows
            if row.action == ADD or (row.action == UPDATE and "organisation" in row.changes)
        }
        return [org for key, org in self.new_organisations.items() if key in used]


def decode_upload(data: bytes) -> str:
    """The uploaded bytes as text, checked to be a CSV we can read."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFileError(
            _(
                "The file is not UTF-8 text. In your spreadsheet choose "
                "“Save as… CSV UTF-8 (comma delimited)” and upload that file."
            )
        ) from None
    if not text.strip():
        raise ImportFileError(_("The file is empty."))
    if "\x00" in text:
        raise ImportFileError(_("This does not look like a CSV file."))
    if text_refusal(text) is not None:
        raise ImportFileError(
            _(
                "The file contains an invisible control character or a character that is "
                "not text (such as U+FFFF). Please remove it and upload the file again."
            )
        )
    _columns, records = read_csv(text)
    if not any(any(value.strip() for value in record.values()) for _number, record in records):
        raise ImportFileError(_("The file has a header row but no contacts."))
    return text


def read_csv(text: str) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """The header's column names and, per row, its number and {column: value}."""
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error:
        raise ImportFileError(_("This does not look like a CSV file.")) from None
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise ImportFileError(
            _("The first row must name the columns: %(columns)s.", columns=", ".join(CSV_COLUMNS))
        )
    columns = [cell.strip().lower() for cell in rows[0]]
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        raise ImportFileError(
            _(
                "The file is missing these columns: %(missing)s. The first row must name the "
                "columns: %(columns)s.",
                missing=", ".join(missing),
                columns=", ".join(CSV_COLUMNS),
            )
        )
    records = []
    for number, cells in enumerate(rows[1:], start=2):
        record = {}
        for index, column in enumerate(columns):
            # The first column of that name wins; extra cells and columns are ignored.
            if column in CSV_COLUMNS and column not in record:
                record[column] = cells[index] if index < len(cells) else ""
        records.append((number, record))
    return columns, records


def _category_lookup() -> dict[str, Category]:
    lookup = {}
    for category, label in CATEGORY_LABELS.items():
        lookup[category.value] = category
        lookup[str(label).lower()] = category
        with force_locale("en"):
            lookup[str(label).lower()] = category
    return lookup


def _language_lookup() -> dict[str, str]:
    lookup = dict(ENGLISH_LANGUAGE_NAMES)
    for code, label in LANGUAGE_NAMES.items():
        lookup[code] = code
        lookup[str(label).lower()] = code
    return lookup


def _row_from_record(
    number: int, record: dict[str, str], categories: dict[str, Category], languages: dict[str, str]
) -> ImportRow:
    values = {column: _csv_unescape(record.get(column, "").strip()) for column in CSV_COLUMNS}
    errors = []
    if not values["name"]:
        errors.append(_("The name is missing."))
    if not values["email"]:
        errors.append(_("The email is missing."))
    else:
        try:
            validate_email(values["email"], check_deliverability=False)
        except EmailNotValidError:
            errors.append(_("“%(email)s” is not a valid email address.", email=values["email"]))
    if not values["organisation"]:
        errors.append(_("The organisation is missing."))
    category = None
    if values["category"]:
        category = categories.get(values["category"].lower())
        if category is None:
            errors.append(_("Unknown category “%(category)s”.", category=values["category"]))
    language = None
    if values["language"]:
        language = languages.get(values["language"].lower())
        if language is None:
            errors.append(_("Unknown language “%(language)s”.", language=values["language"]))
    for column, limit in MAX_LENGTHS.items():
        if len(values[column]) > limit:
            errors.append(
                _(
                    "%(column)s is longer than %(limit)s characters.",
                    column=COLUMN_LABELS[column],
                    limit=limit,
                )
            )
    return ImportRow(
        number=number,
        name=values["name"],
        position=values["position"] or None,
        email=Contact.normalise_email(values["email"]),
        phone=values["phone"] or None,
        language=language,
        organisation=values["organisation"],
        acronym=values["acronym"] or None,
        category=category,
        errors=errors,
    )


def _chunks(items: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(items), LOOKUP_CHUNK):
        yield items[start : start + LOOKUP_CHUNK]


def _existing_contacts(emails: set[str]) -> dict[str, Contact]:
    found: dict[str, Contact] = {}
    for chunk in _chunks(sorted(emails)):
        query = (
            sa.select(Contact)
            .where(Contact.email.in_(chunk))
            .options(joinedload(Contact.organisation))
        )
        found.update((contact.email, contact) for contact in db.session.scalars(query))
    return found


def _existing_organisations(keys: set[str]) -> dict[str, Organisation]:
    found: dict[str, Organisation] = {}
    for chunk in _chunks(sorted(keys)):
        query = sa.select(Organisation).where(sa.func.lower(Organisation.name).in_(chunk))
        found.update((org.name.lower(), org) for org in db.session.scalars(query))
    return found


def plan_import(text: str) -> ImportPlan:
    """Read the file and decide, row by row, what confirming it would do. Writes nothing."""
    columns, records = read_csv(text)
    categories, languages = _category_lookup(), _language_lookup()
    rows = [
        _row_from_record(number, record, categories, languages)
        for number, record in records
        if any(value.strip() for value in record.values())
    ]

    first_row_of_email: dict[str, int] = {}
    for row in rows:
        if not row.email:
            continue
        if row.email in first_row_of_email:
            row.errors.append(
                _(
                    "The email %(email)s is also on row %(row)s.",
                    email=row.email,
                    row=first_row_of_email[row.email],
                )
            )
        else:
            first_row_of_email[row.email] = row.number

    contacts = _existing_contacts({row.email for row in rows if row.email})
    organisations = _existing_organisations(
        {row.organisation_key for row in rows if row.organisation}
    )
    new_organisations: dict[str, NewOrganisation] = {}
    for row in rows:
        if row.organisation and row.organisation_key not in organisations:
            row.new_organisation = True
            new = new_organisations.setdefault(
                row.organisation_key, NewOrganisation(row.organisation)
            )
            new.category = new.category or row.category
            new.acronym = new.acronym or row.acronym

    for row in rows:
        if row.new_organisation and new_organisations[row.organisation_key].category is None:
            row.errors.append(
                _(
                    "“%(organisation)s” is a new organisation and needs a category.",
                    organisation=row.organisation,
                )
            )
        if row.errors:
            row.action = ERROR
            continue
        row.contact = contacts.get(row.email)
        if row.contact is None:
            row.action = ADD
            continue
        row.changes = _changes_for(row, row.contact, columns, organisations)
        row.action = UPDATE if row.changes else UNCHANGED
    return ImportPlan(columns, rows, organisations, new_organisations)


def _changes_for(
    row: ImportRow, contact: Contact, columns: list[str], organisations: dict[str, Organisation]
) -> dict[str, list[Any]]:
    """{field: [now, from the file]}; a column absent from the file changes nothing."""
    changes: dict[str, list[Any]] = {}
    if row.name != contact.name:
        changes["name"] = [contact.name, row.name]
    for column in ("position", "phone"):
        if column in columns and getattr(row, column) != getattr(contact, column):
            changes[column] = [getattr(contact, column), getattr(row, column)]
    if row.language and row.language != contact.language:
        changes["language"] = [contact.language, row.language]
    org = organisations.get(row.organisation_key)
    if org is None or org.id != contact.organisation_id:
        changes["organisation"] = [contact.organisation.name, org.name if org else row.organisation]
    return changes


def apply_import(plan: ImportPlan) -> dict[str, int]:
    """Write what the plan says, in the current transaction. Refuses a plan with errors."""
    if plan.errors:
        raise ValueError("an import with error rows must not be applied")
    organisations = dict(plan.existing_organisations)
    created = []
    for new in plan.organisations_to_create:
        org = Organisation(name=new.name, acronym=new.acronym, category=new.category)
        organisations[new.name.lower()] = org
        created.append(org)
    db.session.add_all(created)

    added = []
    for row in plan.to_add:
        added.append(
            Contact(
                name=row.name,
                position=row.position,
                email=row.email,
                phone=row.phone,
                language=row.language or "en",
                organisation=organisations[row.organisation_key],
            )
        )
    db.session.add_all(added)

    for row in plan.to_update:
        contact = row.contact
        assert contact is not None
        for column in ("name", "position", "phone", "language"):
            if column in row.changes:
                setattr(contact, column, getattr(row, column))
        if "organisation" in row.changes:
            contact.organisation = organisations[row.organisation_key]
    db.session.flush()
    return {
        "added": len(added),
        "updated": len(plan.to_update),
        "unchanged": len(plan.unchanged),
        "organisations_created": len(created),
    }


# --- Pending imports ---------------------------------------------------------------------


def store_pending_import(user: User, filename: str, text: str) -> PendingImport:
    """Keep the uploaded file until it is confirmed or cancelled; forget stale ones."""
    db.session.execute(
        sa.delete(PendingImport).where(
            PendingImport.created_at < utcnow() - PENDING_IMPORT_LIFETIME
        )
    )
    pending = PendingImport(
        user_id=user.id, filename=(filename or "contacts.csv")[:255], content=text
    )
    db.session.add(pending)
    db.session.flush()
    return pending


def can_use_import(user: User, pending: PendingImport) -> bool:
    """Only the person who uploaded a file may see its preview, confirm or cancel it."""
    return pending.user_id == user.id


def confirm_import(
    pending: PendingImport,
    plan: ImportPlan,
    *,
    by: User | None = None,
) -> dict[str, int]:
    counts = apply_import(plan)
    audit.record(
        "directory.contacts_import",
        pending,
        changes={"filename": pending.filename, **counts},
        note=_(
            "Imported %(file)s: %(added)s added, %(updated)s updated, "
            "%(unchanged)s unchanged, %(organisations)s organisations created.",
            file=pending.filename,
            added=counts["added"],
            updated=counts["updated"],
            unchanged=counts["unchanged"],
            organisations=counts["organisations_created"],
        ),
        by=by,
    )
    db.session.delete(pending)
    return counts
