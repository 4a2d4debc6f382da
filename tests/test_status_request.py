"""Asking the responsible contact for a status update: the email, and the personal page
where they post it without an account."""

from __future__ import annotations

import re
from datetime import date, timedelta
from urllib.parse import urlsplit

import sqlalchemy as sa

from coordapp import web
from coordapp.commitments import service
from coordapp.extensions import db
from coordapp.links import make_token
from coordapp.models import MessageKind, OutgoingMessage
from coordapp.models.commitment import Commitment, CommitmentStatus
from tests.factories import make_contact, make_meeting, make_organisation
from tests.outbox import written
from tests.smtp import body_text
from tests.test_commitments import add_commitment


def _overdue_commitment(responsible=True):
    org = make_organisation("Ministry of Labour")
    contact = (
        make_contact(org, name="Pavel Sidorov", email="pavel@example.org") if responsible else None
    )
    return add_commitment(
        make_meeting(title="Fourth extended meeting"),
        [org],
        description="Mainstream migration in local plans",
        due_date=date.today() - timedelta(days=10),
        responsible=contact,
    )


def _path_of(link: str) -> str:
    return urlsplit(link).path


def test_status_request_email_carries_a_working_personal_link(secretariat_client, smtp_server):
    from coordapp.mail.delivery import deliver_due_messages

    commitment = _overdue_commitment()
    page = secretariat_client.get(f"/commitments/{commitment.id}").get_data(as_text=True)
    assert "Overdue" in page

    response = secretariat_client.post(f"/commitments/{commitment.id}/status-request")
    assert response.status_code == 303

    queued = written(db.session.scalars(sa.select(OutgoingMessage)).one())
    assert queued.kind is MessageKind.OTHER
    assert queued.to_email == "pavel@example.org"
    deliver_due_messages()
    [message] = smtp_server.to("pavel@example.org")
    text = body_text(message)
    assert "Mainstream migration in local plans" in text
    assert "overdue" in text
    link = re.search(r"http\S+/commitments/status/\S+", text).group(0)

    anonymous = secretariat_client.application.test_client()
    page = anonymous.get(_path_of(link))
    assert page.status_code == 200
    assert "Mainstream migration in local plans" in page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store"

    response = anonymous.post(
        _path_of(link), data={"status": "in_progress", "note": "Two districts done"}
    )
    assert response.status_code == 303
    thanks = anonymous.get(response.headers["Location"]).get_data(as_text=True)
    assert "Thank you, Pavel Sidorov" in thanks

    db.session.expire_all()
    commitment = db.session.get(Commitment, commitment.id)
    assert commitment.status is CommitmentStatus.IN_PROGRESS
    latest = commitment.updates[-1]
    assert latest.by_contact_id == commitment.responsible_contact_id
    assert latest.by_user_id is None
    assert latest.note == "Two districts done"
    history = secretariat_client.get(f"/commitments/{commitment.id}").get_data(as_text=True)
    assert "by Pavel Sidorov (personal link)" in history


def test_no_responsible_contact_means_no_button_and_no_link(secretariat_client):
    commitment = _overdue_commitment(responsible=False)

    page = secretariat_client.get(f"/commitments/{commitment.id}").get_data(as_text=True)
    assert "No responsible contact is named" in page
    assert re.search(r"<button type=\"button\" disabled[^>]*>Send status request", page)

    response = secretariat_client.post(f"/commitments/{commitment.id}/status-request")
    assert response.status_code == 409
    assert db.session.scalar(sa.select(sa.func.count(OutgoingMessage.id))) == 0
    # A well-signed link for it leads nowhere either.
    assert (
        secretariat_client.get(
            f"/commitments/status/{service.status_token(commitment)}"
        ).status_code
        == 404
    )


def test_a_tampered_or_foreign_token_gives_the_not_valid_page(client, app):
    commitment = _overdue_commitment()
    token = service.status_token(commitment)
    link_id, mac = token.split(".")
    rsvp_style = make_token(commitment.link_id, "rsvp")  # right id, wrong purpose

    for bad in (
        f"{link_id}.{mac[:-1]}{'A' if mac[-1] != 'A' else 'B'}",
        f"{'0' * 32}.{mac}",
        "x",
        rsvp_style,
    ):
        response = client.get(f"/commitments/status/{bad}")
        assert response.status_code == 404, bad
        assert "This link is not valid" in response.get_data(as_text=True)
        assert client.post(f"/commitments/status/{bad}", data={"status": "done"}).status_code == 404
    db.session.expire_all()
    assert db.session.get(Commitment, commitment.id).status is CommitmentStatus.OPEN


def test_changing_the_responsible_contact_retires_the_old_link(secretariat_client):
    commitment = _overdue_commitment()
    old_link = f"/commitments/status/{service.status_token(commitment)}"
    successor = make_contact(commitment.organisations[0], name="Olga Novak")

    secretariat_client.post(
        f"/commitments/{commitment.id}/edit",
        data={
            "organisation_ids": [str(commitment.organisations[0].id)],
            "description": commitment.description,
            "responsible_contact_id": str(successor.id),
            "agenda_item_id": "0",
        },
    )

    db.session.expire_all()
    commitment = db.session.get(Commitment, commitment.id)
    assert commitment.responsible.name == "Olga Novak"
    assert secretariat_client.get(old_link).status_code == 404
    new_link = f"/commitments/status/{service.status_token(commitment)}"
    assert secretariat_client.get(new_link).status_code == 200


def test_too_many_wrong_links_are_throttled_while_a_right_one_still_works(client, app):
    commitment = _overdue_commitment()
    for _ in range(web.BAD_LINK_LIMIT):
        assert (
            client.get(f"/commitments/status/{'a' * 32}.wrongwrongwrongwrongwrong").status_code
            == 404
        )

    response = client.get(f"/commitments/status/{'b' * 32}.wrongwrongwrongwrongwrong")
    assert response.status_code == 429
    assert "Too many wrong links" in response.get_data(as_text=True)
    assert client.get(f"/commitments/status/{service.status_token(commitment)}").status_code == 200


def test_an_invalid_update_on_the_personal_page_keeps_the_note(client, app):
    commitment = _overdue_commitment()
    url = f"/commitments/status/{service.status_token(commitment)}"

    response = client.post(url, data={"status": "finished", "note": "Keep me"})

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Keep me" in page and "Not a valid choice" in page
    db.session.expire_all()
    assert len(db.session.get(Commitment, commitment.id).updates) == 1
