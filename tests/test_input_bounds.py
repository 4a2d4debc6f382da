"""The inputs the review turned into 500s now get a clear 400 (or the page they asked
for), on SQLite and PostgreSQL (coordapp/inputs.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from coordapp.extensions import db
from coordapp.models import Invitation, InvitationStatus, Meeting
from coordapp.models.agenda import AgendaItem
from tests.factories import make_contact, make_meeting
from tests.test_meetings import meeting_form
from tests.test_rsvp import invite, url

CONTROL_MESSAGE = "invisible control character"


def test_a_nul_byte_in_the_public_rsvp_form_is_refused_with_a_message(client):
    invitation = invite()
    for field in ("needs", "comment"):
        response = client.post(
            url(invitation),
            data={"status": "accepted", "needs": "", "comment": "", field: "a\x00b"},
        )
        assert response.status_code == 400, field
        assert CONTROL_MESSAGE in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Invitation, invitation.id).status is InvitationStatus.PENDING


def test_a_nul_byte_in_a_substitute_name_or_a_query_parameter_is_refused(
    client, secretariat_client
):
    invitation = invite()
    response = client.post(
        url(invitation, "/substitute"), data={"name": "A\x00B", "email": "ab@example.org"}
    )
    assert response.status_code == 400
    assert CONTROL_MESSAGE in response.get_data(as_text=True)
    response = secretariat_client.get("/directory/contacts", query_string={"q": "x\x00"})
    assert response.status_code == 400


def test_line_breaks_and_tabs_are_still_welcome(client):
    invitation = invite()
    response = client.post(
        url(invitation),
        data={"status": "accepted", "needs": "Ramp\r\nInterpreter\tRU", "comment": ""},
    )
    assert response.status_code in (200, 302, 303)
    db.session.expire_all()
    assert db.session.get(Invitation, invitation.id).needs == "Ramp\r\nInterpreter\tRU"


@pytest.mark.parametrize(
    "path", ["/", "/meetings/past", "/admin/users", "/directory/contacts", "/mail", "/commitments"]
)
def test_a_page_number_of_30_digits_shows_a_page(admin_client, path):
    response = admin_client.get(path, query_string={"page": "9" * 30, "organisation": "9" * 30})
    assert response.status_code == 200, path


@pytest.mark.parametrize(
    "overrides",
    [
        {"capacity": "1" + "0" * 40},
        {"number": "1" + "0" * 40},
        {"starts_at": "0001-01-01T10:00", "ends_at": "0001-01-01T12:00"},
        {"starts_at": "9999-12-31T10:00", "ends_at": "9999-12-31T12:00"},
    ],
)
def test_numbers_and_years_out_of_bounds_are_refused_on_the_meeting_form(
    secretariat_client, overrides
):
    response = secretariat_client.post("/meetings/new", data=meeting_form(**overrides))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "The number is too large." in page or "Enter a date between 1900 and 2999." in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Meeting)) == 0


def test_presenters_and_durations_of_ten_to_the_forty_are_refused(secretariat_client):
    meeting = make_meeting()
    make_contact()
    huge = "1" + "0" * 40
    response = secretariat_client.post(
        f"/meetings/{meeting.id}/agenda/new",
        data={"title": "Item", "kind": "discussion", "duration_minutes": huge, "presenters": huge},
    )
    assert response.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AgendaItem)) == 0


def test_an_attachment_post_without_a_file_is_refused_with_a_message(secretariat_client):
    meeting = make_meeting()
    item = AgendaItem(meeting_id=meeting.id, position=0, title="Budget")
    db.session.add(item)
    db.session.commit()
    response = secretariat_client.post(
        f"/agenda/items/{item.id}/attachments", data={}, content_type="multipart/form-data"
    )
    assert response.status_code == 400
    assert "Choose a file." in response.get_data(as_text=True)


def test_a_contact_id_too_large_to_store_is_refused_on_the_account_form(admin_client):
    admin = admin_client.user
    response = admin_client.post(
        f"/admin/users/{admin.id}/edit",
        data={"name": "Ada Admin", "role": "admin", "contact_id": "99999999999"},
    )
    assert response.status_code == 400
    db.session.refresh(admin)
    assert admin.contact_id is None


@pytest.mark.parametrize("path", ["/outcomes/series/2147483648", "/meetings/2147483648"])
def test_an_id_no_row_can_have_is_not_found(client, admin_client, path):
    assert client.get(path).status_code == 404
    assert admin_client.get(path).status_code == 404


def test_no_integer_field_or_parameter_is_parsed_without_bounds():
    """`coerce=int`/`type=int` read numbers the database cannot compare: bounded_int,
    inputs.IntegerField or an `<id:…>` in the URL instead."""
    source = Path(__file__).resolve().parent.parent / "coordapp"
    unbounded = re.compile(r"\b(coerce|type)=int\b|wtforms\.IntegerField|<int:")
    found = [
        f"{path.relative_to(source)}:{number}"
        for path in source.rglob("*.py")
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if unbounded.search(line) and "click.option" not in line  # the CLI's own options
    ]
    assert not found, "unbounded integers: " + ", ".join(found)
