"""The stakeholder directory as the secretariat uses it: organisations and contacts."""

from __future__ import annotations

import sqlalchemy as sa
from flask import g

from coordapp.extensions import db
from coordapp.models import AuditEvent, Category, Contact, Organisation
from tests.conftest import count_queries
from tests.factories import make_contact, make_organisation


def _contact_form(organisation: Organisation, **overrides) -> dict:
    data = {
        "name": "Olga Petrova",
        "position": "Programme officer",
        "email": "olga.petrova@example.org",
        "phone": "+375 17 000 00 00",
        "language": "ru",
        "organisation_id": str(organisation.id),
    }
    data.update(overrides)
    return data


def test_member_cannot_see_or_change_the_directory(member_client):
    org = make_organisation()
    assert member_client.get("/directory/organisations").status_code == 403
    assert member_client.get("/directory/contacts").status_code == 403
    assert member_client.get("/directory/contacts/export.csv").status_code == 403
    assert member_client.post(f"/directory/organisations/{org.id}/deactivate").status_code == 403
    assert member_client.post("/directory/contacts/new", data=_contact_form(org)).status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Contact)) == 0


def test_anonymous_visitor_is_sent_to_login(client):
    response = client.get("/directory/contacts")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_secretariat_creates_an_organisation_with_a_parent(secretariat_client):
    ministry = make_organisation("Ministry of Interior", category=Category.NATIONAL_GOVERNMENT)
    response = secretariat_client.post(
        "/directory/organisations/new",
        data={
            "name": "Department of Citizenship and Migration",
            "acronym": "DCM",
            "category": "national_government",
            "parent_id": str(ministry.id),
        },
    )
    assert response.status_code == 302
    org = db.session.scalar(sa.select(Organisation).where(Organisation.acronym == "DCM"))
    assert org.parent_id == ministry.id
    assert org.category is Category.NATIONAL_GOVERNMENT
    page = secretariat_client.get(f"/directory/organisations/{org.id}").get_data(as_text=True)
    assert "Department of Citizenship and Migration" in page
    assert "Ministry of Interior" in page
    event = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "directory.organisation_create")
    )
    assert event.object_id == org.id


def test_organisation_name_must_be_unique_whatever_the_case(secretariat_client):
    make_organisation("IOM")
    response = secretariat_client.post(
        "/directory/organisations/new",
        data={"name": "iom", "category": "un_agency", "parent_id": "0"},
    )
    assert response.status_code == 400
    assert "already exists" in response.get_data(as_text=True)


def test_organisation_cannot_be_its_own_parent(secretariat_client):
    org = make_organisation("UNDP")
    response = secretariat_client.post(
        f"/directory/organisations/{org.id}/edit",
        data={"name": "UNDP", "category": "un_agency", "parent_id": str(org.id)},
    )
    assert response.status_code == 400


def test_organisation_page_lists_its_contacts(secretariat_client):
    org = make_organisation("Statistics Office")
    make_contact(org, name="Ivan Statistician")
    make_contact(name="Someone Elsewhere")
    page = secretariat_client.get(f"/directory/organisations/{org.id}").get_data(as_text=True)
    assert "Ivan Statistician" in page
    assert "Someone Elsewhere" not in page


def test_organisations_search_by_name_or_acronym_and_filter_by_category(secretariat_client):
    make_organisation("International Organization for Migration", acronym="IOM")
    make_organisation("Minsk City Executive Committee", category=Category.LOCAL_GOVERNMENT)
    make_organisation("Red Cross Society", category=Category.CIVIL_SOCIETY)

    page = secretariat_client.get("/directory/organisations?q=iom").get_data(as_text=True)
    assert "International Organization for Migration" in page
    assert "Red Cross Society" not in page

    page = secretariat_client.get("/directory/organisations?q=MINSK").get_data(as_text=True)
    assert "Minsk City Executive Committee" in page
    assert "International Organization" not in page

    page = secretariat_client.get("/directory/organisations?category=civil_society").get_data(
        as_text=True
    )
    assert "Red Cross Society" in page
    assert "Minsk City" not in page


def test_deactivated_organisation_is_hidden_unless_asked_for(secretariat_client):
    org = make_organisation("Old Project Office")
    response = secretariat_client.post(f"/directory/organisations/{org.id}/deactivate")
    assert response.status_code == 302
    secretariat_client.get(response.headers["Location"])  # shows the flash message
    assert db.session.get(Organisation, org.id).active is False
    assert "Old Project Office" not in secretariat_client.get("/directory/organisations").get_data(
        as_text=True
    )
    assert "Old Project Office" in secretariat_client.get(
        "/directory/organisations?inactive=y"
    ).get_data(as_text=True)

    secretariat_client.post(f"/directory/organisations/{org.id}/reactivate")
    assert db.session.get(Organisation, org.id).active is True
    actions = db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["directory.organisation_deactivate", "directory.organisation_reactivate"]


def test_secretariat_creates_a_contact_with_email_stored_lower_case(secretariat_client):
    org = make_organisation("UNHCR")
    response = secretariat_client.post(
        "/directory/contacts/new", data=_contact_form(org, email="  Olga.Petrova@Example.ORG ")
    )
    assert response.status_code == 302
    contact = db.session.scalar(sa.select(Contact))
    assert contact.email == "olga.petrova@example.org"
    assert contact.language == "ru"
    assert contact.organisation_id == org.id
    event = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "directory.contact_create")
    )
    assert event.changes["email"] == [None, "olga.petrova@example.org"]
    page = secretariat_client.get("/directory/contacts").get_data(as_text=True)
    assert "Olga Petrova" in page
    assert "Russian" in page


def test_duplicate_email_is_refused_whatever_the_case_and_form_keeps_input(secretariat_client):
    org = make_organisation()
    make_contact(org, email="olga.petrova@example.org")
    response = secretariat_client.post(
        "/directory/contacts/new",
        data=_contact_form(org, name="Another Olga", email="OLGA.PETROVA@example.org"),
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "already exists" in page
    assert 'value="Another Olga"' in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Contact)) == 1


def test_invalid_email_gets_a_form_error(secretariat_client):
    org = make_organisation()
    response = secretariat_client.post(
        "/directory/contacts/new", data=_contact_form(org, email="not-an-email")
    )
    assert response.status_code == 400
    assert "valid email" in response.get_data(as_text=True)


def test_editing_a_contact_records_what_changed(secretariat_client):
    org = make_organisation()
    other = make_organisation()
    contact = make_contact(org, name="Olga Petrova", email="olga@example.org")
    response = secretariat_client.post(
        f"/directory/contacts/{contact.id}/edit",
        data=_contact_form(
            other, name="Olga Petrova-Smith", email="olga@example.org", language="en"
        ),
    )
    assert response.status_code == 302
    db.session.expire_all()
    contact = db.session.get(Contact, contact.id)
    assert contact.name == "Olga Petrova-Smith"
    assert contact.organisation_id == other.id
    event = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "directory.contact_edit")
    )
    assert event.changes["name"] == ["Olga Petrova", "Olga Petrova-Smith"]
    assert event.changes["organisation_id"] == [org.id, other.id]
    assert "email" not in event.changes


def test_editing_a_contact_to_another_contacts_email_is_refused(secretariat_client):
    org = make_organisation()
    make_contact(org, email="taken@example.org")
    contact = make_contact(org, email="mine@example.org")
    response = secretariat_client.post(
        f"/directory/contacts/{contact.id}/edit", data=_contact_form(org, email="Taken@example.org")
    )
    assert response.status_code == 400
    assert "already exists" in response.get_data(as_text=True)


def test_contacts_search_by_name_email_and_organisation(secretariat_client):
    iom = make_organisation("International Organization for Migration", acronym="IOM")
    city = make_organisation("Minsk City Executive Committee", category=Category.LOCAL_GOVERNMENT)
    make_contact(iom, name="Anna Migrantova", email="anna@iom.int")
    make_contact(city, name="Pavel Gorodskoy", email="pavel@minsk.gov.by")

    def names(query: str) -> str:
        return secretariat_client.get(f"/directory/contacts?{query}").get_data(as_text=True)

    assert "Pavel" not in names("q=anna")
    assert "Anna Migrantova" in names("q=ANNA")
    assert "Pavel Gorodskoy" in names("q=minsk.gov")
    assert "Anna" not in names("q=minsk.gov")
    assert "Anna Migrantova" in names("q=iom")
    assert "Pavel Gorodskoy" in names("q=executive")
    page = names("category=local_government")
    assert "Pavel Gorodskoy" in page and "Anna" not in page


def test_search_ignores_case_in_cyrillic_too(secretariat_client):
    """SQLite's lower() and LIKE fold only ASCII: "петрова" must still find "Петрова"."""
    ministry = make_organisation("Министерство труда", acronym="МИНТРУД")
    make_contact(ministry, name="Анна Петрова", email="a.petrova@mintrud.by")
    make_contact(ministry, name="Ігар Сідорскі", email="i.sidorski@mintrud.by")
    # Written without the ORM, as an import in bulk does: searchable all the same.
    db.session.execute(
        sa.insert(Contact),
        [
            {
                "name": "ОЛЬГА ИВАНОВА",
                "email": "o.ivanova@mintrud.by",
                "organisation_id": ministry.id,
            }
        ],
    )
    db.session.commit()

    def names(query: str) -> str:
        return secretariat_client.get("/directory/contacts", query_string={"q": query}).get_data(
            as_text=True
        )

    for query in ("петрова", "ПЕТРОВА", "Петрова", "анна п"):
        page = names(query)
        assert "Анна Петрова" in page and "Ігар" not in page, query
    assert "Ігар Сідорскі" in names("ІГАР")
    assert "ОЛЬГА ИВАНОВА" in names("ольга")
    page = names("минтруд")  # the organisation's acronym, in another case
    assert "Анна Петрова" in page and "ОЛЬГА ИВАНОВА" in page
    organisations = secretariat_client.get(
        "/directory/organisations", query_string={"q": "МИНИСТЕРСТВО"}
    ).get_data(as_text=True)
    assert "Министерство труда" in organisations


def test_a_renamed_contact_is_found_by_the_new_name_only(secretariat_client):
    contact = make_contact(name="Анна Петрова", email="a.petrova@mintrud.by")
    contact.name = "Анна Сидорова"
    db.session.commit()

    def names(query: str) -> str:
        return secretariat_client.get("/directory/contacts", query_string={"q": query}).get_data(
            as_text=True
        )

    assert "Анна Сидорова" in names("сидорова")
    assert "Анна" not in names("петрова")


def test_search_treats_percent_and_underscore_literally(secretariat_client):
    make_contact(name="Plain Person")
    page = secretariat_client.get("/directory/contacts?q=%25").get_data(as_text=True)
    assert "Plain Person" not in page


def test_deactivated_contact_leaves_the_list_and_can_come_back(secretariat_client):
    contact = make_contact(name="Gone Away")
    secretariat_client.post(f"/directory/contacts/{contact.id}/deactivate", follow_redirects=True)
    assert db.session.get(Contact, contact.id).active is False
    assert "Gone Away" not in secretariat_client.get("/directory/contacts").get_data(as_text=True)
    assert "Gone Away" in secretariat_client.get("/directory/contacts?inactive=y").get_data(
        as_text=True
    )
    secretariat_client.post(f"/directory/contacts/{contact.id}/reactivate")
    assert db.session.get(Contact, contact.id).active is True
    assert (
        db.session.scalar(
            sa.select(AuditEvent.action)
            .where(AuditEvent.object_type == "Contact")
            .order_by(AuditEvent.id)
        )
        == "directory.contact_deactivate"
    )


def test_lists_are_paginated(secretariat_client, app):
    app.config["PER_PAGE"] = 2
    org = make_organisation()
    for n in range(5):
        make_contact(org, name=f"Person {n}")
    first = secretariat_client.get("/directory/contacts").get_data(as_text=True)
    assert "Person 0" in first and "Person 2" not in first
    assert "Page 1 of 3" in first
    third = secretariat_client.get("/directory/contacts?page=3").get_data(as_text=True)
    assert "Person 4" in third and "Person 0" not in third


def test_unknown_ids_give_404(secretariat_client):
    assert secretariat_client.get("/directory/organisations/999").status_code == 404
    assert secretariat_client.get("/directory/contacts/999/edit").status_code == 404


def _seed(rows: int) -> None:
    """`rows` contacts, each at its own unit, each unit part of its own parent organisation
    (so that lazily loading organisations or parents would cost one query per row)."""
    start = db.session.scalar(sa.select(sa.func.count()).select_from(Contact))
    parents = [
        Organisation(name=f"Parent {start + n}", category=Category.UN_AGENCY) for n in range(rows)
    ]
    db.session.add_all(parents)
    db.session.flush()
    units = [
        Organisation(
            name=f"Unit {start + n}",
            acronym=f"U{start + n}",
            category=Category.OTHER,
            parent_id=parent.id,
        )
        for n, parent in enumerate(parents)
    ]
    db.session.add_all(units)
    db.session.flush()
    db.session.add_all(
        Contact(
            name=f"Person {start + n}",
            email=f"person{start + n}@example.org",
            organisation_id=unit.id,
        )
        for n, unit in enumerate(units)
    )
    db.session.commit()
    _forget_loaded_objects()


def _forget_loaded_objects() -> None:
    """Start from an empty identity map so that a lazy load cannot hide behind it. Tests
    share one app context across requests, so also make Flask-Login load the user again."""
    db.session.expunge_all()
    g.pop("_login_user", None)


def _queries_for(client, url: str) -> int:
    _forget_loaded_objects()
    with count_queries() as queries:
        response = client.get(url)
    assert response.status_code == 200
    return queries.count


def test_lists_run_the_same_number_of_queries_for_10_or_500_rows(secretariat_client, app):
    app.config["PER_PAGE"] = 1000  # every row on one page
    # Only the units are listed, so their parents are not already loaded by the same page.
    urls = [
        "/directory/organisations?q=unit",
        "/directory/contacts",
        "/directory/contacts/export.csv",
    ]
    _seed(10)
    small = [_queries_for(secretariat_client, url) for url in urls]
    _seed(490)
    page = secretariat_client.get("/directory/contacts").get_data(as_text=True)
    assert "500 contacts" in page
    large = [_queries_for(secretariat_client, url) for url in urls]
    assert small == large


def test_a_plain_visit_to_the_lists_shows_no_filter_error(secretariat_client):
    """No query string: the filters are simply unset, not "Not a valid choice."."""
    for url in ("/directory/organisations", "/directory/contacts"):
        response = secretariat_client.get(url)
        assert response.status_code == 200
        assert "Not a valid choice" not in response.get_data(as_text=True), url


def test_an_unknown_category_in_the_filter_is_explained_not_applied(secretariat_client):
    make_organisation(name="Ministry of Labour", category=Category.NATIONAL_GOVERNMENT)
    for url in ("/directory/organisations", "/directory/contacts"):
        response = secretariat_client.get(url + "?category=bogus")
        assert response.status_code == 200
        assert response.get_data(as_text=True).count("Not a valid choice") == 1, url
    page = secretariat_client.get("/directory/organisations?category=bogus")
    assert "Ministry of Labour" in page.get_data(as_text=True)
