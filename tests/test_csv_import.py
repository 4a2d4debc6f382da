"""Importing and exporting the directory as CSV: preview first, nothing written until
the user confirms, and a file with errors never writes anything."""

from __future__ import annotations

import io
import re

import sqlalchemy as sa
from flask import g

from coordapp.extensions import db
from coordapp.models import AuditEvent, Category, Contact, Organisation, PendingImport
from tests.conftest import login_as
from tests.factories import make_contact, make_organisation, make_user

HEADER = "name,position,email,phone,language,organisation,acronym,category\n"


def _upload(client, content: str | bytes, filename: str = "contacts.csv"):
    data = content.encode("utf-8") if isinstance(content, str) else content
    return client.post(
        "/directory/contacts/import",
        data={"file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def _pending_id(response) -> int:
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(re.search(r"/import/(\d+)$", response.headers["Location"]).group(1))


def _count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _table(page: str, heading_id: str) -> str:
    """The HTML of the preview table under the heading with this id."""
    start = page.index(f'id="{heading_id}"')
    return page[start : page.index("</table>", start)]


def test_preview_groups_rows_to_add_update_and_with_errors(secretariat_client):
    unicef = make_organisation("UNICEF", category=Category.UN_AGENCY)
    make_contact(unicef, name="Old Name", email="existing@unicef.org", position="Intern")
    content = HEADER + (
        "Anna Novak,Officer,anna@iom.int,,en,IOM,IOM,un_agency\n"  # 2 add, new org
        "New Name,Chief,EXISTING@unicef.org,,,unicef,,\n"  # 3 update
        "Bad Email,,not-an-email,,,UNICEF,,\n"  # 4 error
        "Anna Twice,,anna@iom.int,,,IOM,,\n"  # 5 duplicate
        "Weird Category,,w@x.org,,,Somewhere,,space agency\n"  # 6 unknown category
        ",,noname@x.org,,,UNICEF,,\n"  # 7 no name
        "No Org,,noorg@x.org,,,,,\n"  # 8 no organisation
        "New Org No Category,,nocat@x.org,,,Brand New NGO,,\n"  # 9 needs category
        "Town Hall Person,,town@hall.by,,ru,Gomel City Council,,Local government\n"  # 10 add
    )
    response = _upload(secretariat_client, content)
    preview = secretariat_client.get(f"/directory/contacts/import/{_pending_id(response)}")
    assert preview.status_code == 200
    page = preview.get_data(as_text=True)

    added = _table(page, "add")
    assert "anna@iom.int" in added and "town@hall.by" in added
    updated = _table(page, "update")
    assert "existing@unicef.org" in updated
    assert "Old Name" in updated and "New Name" in updated and "Intern" in updated
    errors = _table(page, "errors")
    expected = {
        4: "not a valid email",
        5: "also on row 2",
        6: "Unknown category",
        7: "name is missing",
        8: "organisation is missing",
        9: "needs a category",
    }
    for row_number, reason in expected.items():
        row = re.search(rf"<tr class=\"row-error\"><td>{row_number}</td>.*?</tr>", errors, re.S)
        assert row and reason in row.group(0), (row_number, reason)
    assert "Confirm the import" not in page

    # Nothing was written by uploading or previewing.
    assert _count(Contact) == 1
    assert _count(Organisation) == 1
    assert db.session.scalar(sa.select(Contact.name)) == "Old Name"


def test_confirm_writes_contacts_new_organisations_and_one_audit_event(secretariat_client):
    unicef = make_organisation("UNICEF")
    make_contact(unicef, name="Old Name", email="existing@unicef.org")
    content = (
        "\ufeff"
        + HEADER
        + (
            "Anna Novak,Officer,Anna@IOM.int,+375 29 000,be,IOM,IOM,UN agency\n"
            "New Name,Chief,existing@unicef.org,,fr,Unicef,,\n"
            "Pavel Two,,pavel@iom.int,,,iom,,\n"
        )
    )
    import_id = _pending_id(_upload(secretariat_client, content))
    page = secretariat_client.get(f"/directory/contacts/import/{import_id}").get_data(as_text=True)
    assert "Contacts to add: 2" in page and "Contacts to update: 1" in page

    response = secretariat_client.post(f"/directory/contacts/import/{import_id}/confirm")
    assert response.status_code == 302
    db.session.expire_all()
    anna = db.session.scalar(sa.select(Contact).where(Contact.email == "anna@iom.int"))
    assert anna.name == "Anna Novak" and anna.language == "be" and anna.phone == "+375 29 000"
    iom = anna.organisation
    assert (iom.name, iom.acronym, iom.category) == ("IOM", "IOM", Category.UN_AGENCY)
    assert (
        db.session.scalar(
            sa.select(Contact.organisation_id).where(Contact.email == "pavel@iom.int")
        )
        == iom.id
    )
    existing = db.session.scalar(sa.select(Contact).where(Contact.email == "existing@unicef.org"))
    assert (existing.name, existing.position, existing.language) == ("New Name", "Chief", "fr")
    assert existing.organisation_id == unicef.id
    assert _count(Organisation) == 2
    assert _count(PendingImport) == 0
    event = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "directory.contacts_import")
    )
    assert event.changes["added"] == 2 and event.changes["updated"] == 1
    assert event.changes["organisations_created"] == 1
    assert _count(AuditEvent) == 1


def test_file_with_errors_cannot_be_confirmed_and_writes_nothing(secretariat_client):
    content = HEADER + (
        "Good Person,,good@x.org,,,New NGO,,civil_society\n"
        "Bad Person,,bad-email,,,New NGO,,civil_society\n"
    )
    import_id = _pending_id(_upload(secretariat_client, content))
    response = secretariat_client.post(f"/directory/contacts/import/{import_id}/confirm")
    assert response.status_code == 400
    assert "Nothing was imported" in response.get_data(as_text=True)
    assert _count(Contact) == 0
    assert _count(Organisation) == 0


def test_cancel_forgets_the_file(secretariat_client):
    import_id = _pending_id(_upload(secretariat_client, HEADER + "A,,a@x.org,,,Org,,other\n"))
    response = secretariat_client.post(f"/directory/contacts/import/{import_id}/cancel")
    assert response.status_code == 302
    assert _count(PendingImport) == 0
    assert _count(Contact) == 0
    assert secretariat_client.get(f"/directory/contacts/import/{import_id}").status_code == 404


def test_only_the_uploader_may_see_or_confirm_an_import(secretariat_client, app):
    import_id = _pending_id(_upload(secretariat_client, HEADER + "A,,a@x.org,,,Org,,other\n"))
    from coordapp.models import Role

    colleague = make_user(role=Role.SECRETARIAT, email="colleague@example.org")
    other_client = app.test_client()
    login_as(other_client, colleague)
    g.pop("_login_user", None)  # tests share one app context: forget the previous user
    assert other_client.get(f"/directory/contacts/import/{import_id}").status_code == 403
    assert other_client.post(f"/directory/contacts/import/{import_id}/confirm").status_code == 403
    assert _count(Contact) == 0


def test_bad_files_get_a_clear_message_and_400(secretariat_client):
    cases = {
        b"": "empty",
        b"name,email\nA,a@x.org\n": "missing these columns: organisation, category",
        HEADER.encode(): "no contacts",
        "nom,émail\n".encode("latin-1"): "not UTF-8",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR": "not UTF-8",
        b"name\x00,email\n": "does not look like a CSV",
        b"Just some notes about the meeting.\n": "missing these columns",
    }
    for content, message in cases.items():
        response = _upload(secretariat_client, content)
        assert response.status_code == 400, content
        assert message in response.get_data(as_text=True), content
    response = secretariat_client.post(
        "/directory/contacts/import", data={}, content_type="multipart/form-data"
    )
    assert response.status_code == 400
    assert _count(PendingImport) == 0


def test_header_case_and_column_order_do_not_matter(secretariat_client):
    content = "Email, Organisation ,CATEGORY,Name\nx@y.org,Some Org,academia,X Person\n"
    import_id = _pending_id(_upload(secretariat_client, content))
    secretariat_client.post(f"/directory/contacts/import/{import_id}/confirm")
    contact = db.session.scalar(sa.select(Contact))
    assert (contact.name, contact.language) == ("X Person", "en")
    assert contact.organisation.category is Category.ACADEMIA


def test_five_thousand_rows_are_imported(secretariat_client):
    make_organisation("Organisation 3", category=Category.OTHER)
    # Its own organisation, named apart from the file's "Organisation 0…49" (the factory's
    # default name carries a running number that may fall in that range).
    make_contact(email="person7@example.org", organisation=make_organisation("Existing ministry"))
    categories = [c.value for c in Category]
    lines = [HEADER]
    for n in range(5000):
        org = n % 50
        lines.append(
            f"Person {n},Officer,person{n}@example.org,,en,Organisation {org},"
            f"O{org},{categories[org % len(categories)]}\n"
        )
    import_id = _pending_id(_upload(secretariat_client, "".join(lines)))
    page = secretariat_client.get(f"/directory/contacts/import/{import_id}").get_data(as_text=True)
    assert "Contacts to add: 4999" in page and "Contacts to update: 1" in page

    response = secretariat_client.post(f"/directory/contacts/import/{import_id}/confirm")
    assert response.status_code == 302
    assert _count(Contact) == 5000
    assert _count(Organisation) == 51  # 49 new + "Organisation 3" + the existing contact's
    emails = set(db.session.scalars(sa.select(Contact.email)))
    assert {f"person{n}@example.org" for n in range(5000)} <= emails


def test_export_has_the_import_columns_and_round_trips(secretariat_client):
    city = make_organisation(
        "Brest City Council", acronym="BCC", category=Category.LOCAL_GOVERNMENT
    )
    make_contact(
        city,
        name="Юлия Иванова",
        email="julia@brest.by",
        position="Head, migration unit",
        phone="+375 162 00 00 00",
        language="ru",
    )
    make_contact(make_organisation("=SUM(A1)"), name="@risky", email="risky@x.org")
    make_contact(name="No Position", email="nopos@x.org")

    response = secretariat_client.get("/directory/contacts/export.csv")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == "attachment; filename=contacts.csv"
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff" + HEADER.strip())
    assert '"Head, migration unit"' in text
    assert "+375 162 00 00 00" in text  # a phone number is not mistaken for a formula
    assert "'=SUM(A1)" in text and "'@risky" in text

    import_id = _pending_id(_upload(secretariat_client, response.get_data()))
    page = secretariat_client.get(f"/directory/contacts/import/{import_id}").get_data(as_text=True)
    assert "Contacts to add: 0" in page
    assert "Contacts to update: 0" in page
    assert "Contacts unchanged: 3" in page
    assert "Rows with errors: 0" in page


def test_export_respects_the_search(secretariat_client):
    make_contact(make_organisation(category=Category.ACADEMIA), email="prof@uni.by")
    make_contact(make_organisation(category=Category.UN_AGENCY), email="staff@un.org")
    text = secretariat_client.get("/directory/contacts/export.csv?category=academia").get_data(
        as_text=True
    )
    assert "prof@uni.by" in text and "staff@un.org" not in text
