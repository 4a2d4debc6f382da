"""Series: a standing body with default chairs, a default invitation list and its meetings."""

from __future__ import annotations

import sqlalchemy as sa

from coordapp.extensions import db
from coordapp.models import AuditEvent, Series
from tests.factories import make_contact, make_meeting, make_organisation, make_series, make_user


def series_form(**overrides) -> dict:
    data = {"name": "Country Network on Migration", "description": "Meets every quarter."}
    data.update(overrides)
    return data


def only_series() -> Series:
    return db.session.scalars(sa.select(Series)).one()


def test_secretariat_creates_a_series_with_chairs_and_invitation_list(secretariat_client):
    rc = make_user(name="Rita Resident")
    head = make_user(name="Henrik Head")
    iom = make_organisation(name="International Organization for Migration", acronym="IOM")
    stats = make_organisation(name="National Statistical Committee")
    analyst = make_contact(organisation=stats, name="Anna Analyst")
    make_contact(organisation=stats, name="Retired Person", active=False)

    form_page = secretariat_client.get("/series/new").get_data(as_text=True)
    assert "Anna Analyst" in form_page
    assert "Retired Person" not in form_page

    data = series_form(
        **{
            "chairs-0-user_id": str(rc.id),
            "chairs-0-role_label": "Co-chair, UN Resident Coordinator",
            "chairs-1-user_id": "0",
            "chairs-1-role_label": "",
            "chairs-2-user_id": str(head.id),
            "chairs-2-role_label": "Co-chair, IOM Chief of Mission",
            "contact_ids": [str(analyst.id)],
            "organisation_ids": [str(iom.id)],
        }
    )
    response = secretariat_client.post("/series/new", data=data)
    assert response.status_code == 302

    series = only_series()
    assert series.name == "Country Network on Migration"
    assert [(c.user.name, c.role_label) for c in series.default_chairs] == [
        ("Rita Resident", "Co-chair, UN Resident Coordinator"),
        ("Henrik Head", "Co-chair, IOM Chief of Mission"),
    ]
    assert [c.name for c in series.default_contacts] == ["Anna Analyst"]
    assert [o.acronym for o in series.default_organisations] == ["IOM"]
    assert (
        db.session.scalar(sa.select(AuditEvent.action).where(AuditEvent.object_type == "Series"))
        == "meetings.series_create"
    )

    page = secretariat_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Rita Resident — Co-chair, UN Resident Coordinator" in page
    assert page.index("Rita Resident") < page.index("Henrik Head")
    assert "Anna Analyst" in page


def test_duplicate_series_name_is_a_form_error(secretariat_client):
    make_series(name="Country Network on Migration")
    response = secretariat_client.post(
        "/series/new", data=series_form(name="country network on migration")
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "A series with this name already exists." in page
    assert 'value="country network on migration"' in page
    assert db.session.scalar(sa.select(sa.func.count(Series.id))) == 1


def test_role_without_a_person_is_refused(secretariat_client):
    response = secretariat_client.post(
        "/series/new",
        data=series_form(**{"chairs-0-user_id": "0", "chairs-0-role_label": "Co-chair"}),
    )
    assert response.status_code == 400
    assert "Choose the person who has this role." in response.get_data(as_text=True)


def test_editing_a_series_reorders_chairs_and_keeps_its_own_name(secretariat_client):
    rc = make_user(name="Rita Resident")
    head = make_user(name="Henrik Head")
    series = make_series(name="Country Network on Migration")

    form_page = secretariat_client.get(f"/series/{series.id}/edit").get_data(as_text=True)
    assert 'value="Country Network on Migration"' in form_page

    data = series_form(
        **{
            "chairs-0-user_id": str(head.id),
            "chairs-0-role_label": "Co-chair",
            "chairs-1-user_id": str(rc.id),
            "chairs-1-role_label": "Co-chair, UN RC",
        }
    )
    assert secretariat_client.post(f"/series/{series.id}/edit", data=data).status_code == 302
    db.session.expire_all()
    assert [c.user.name for c in only_series().default_chairs] == ["Henrik Head", "Rita Resident"]

    data["chairs-0-user_id"], data["chairs-1-user_id"] = str(rc.id), str(head.id)
    assert secretariat_client.post(f"/series/{series.id}/edit", data=data).status_code == 302
    db.session.expire_all()
    assert [c.user.name for c in only_series().default_chairs] == ["Rita Resident", "Henrik Head"]


def test_renaming_to_another_series_name_is_refused(secretariat_client):
    make_series(name="Country Network on Migration")
    other = make_series(name="Working Group on Data")
    response = secretariat_client.post(
        f"/series/{other.id}/edit", data=series_form(name="Country Network on Migration")
    )
    assert response.status_code == 400
    assert "A series with this name already exists." in response.get_data(as_text=True)


def test_series_page_lists_its_meetings(secretariat_client):
    series = make_series(name="Country Network on Migration")
    make_meeting(series=series, number=3, title="Third meeting")
    make_meeting(series=series, number=4, title="Fourth extended meeting")
    make_meeting(title="Unrelated meeting")

    page = secretariat_client.get(f"/series/{series.id}").get_data(as_text=True)
    assert "Third meeting" in page and "Fourth extended meeting" in page
    assert "Unrelated meeting" not in page
    assert f"/meetings/new?series_id={series.id}" in page

    listing = secretariat_client.get("/series").get_data(as_text=True)
    assert "Country Network on Migration" in listing


def test_members_cannot_see_or_manage_series(member_client):
    series = make_series()
    assert member_client.get("/series").status_code == 403
    assert member_client.get(f"/series/{series.id}").status_code == 403
    assert member_client.get("/series/new").status_code == 403
    assert member_client.post("/series/new", data=series_form()).status_code == 403
    assert member_client.post(f"/series/{series.id}/edit", data=series_form()).status_code == 403


def test_missing_series_is_404(secretariat_client):
    assert secretariat_client.get("/series/999999").status_code == 404
