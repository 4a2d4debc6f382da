"""What a reader notices beyond the words: the site icon, the language an HTML email
declares, the Belarusian salutation, the zone named as the reader knows it, and a time
range that names its zone once."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from coordapp.extensions import db
from coordapp.invitations.invite import invite_contacts
from coordapp.links import rsvp_token
from coordapp.models import Invitation, MessageKind, OutgoingMessage
from coordapp.models.agenda import AgendaItem
from tests.factories import make_contact, make_meeting, make_organisation
from tests.outbox import queue_email, written

STARTS = datetime(2026, 12, 15, 8, 0, tzinfo=UTC)  # 11:00 in Minsk


def test_favicon_answers_and_every_page_names_the_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.data[:4] == b"\x00\x00\x01\x00"  # an ICO file
    assert response.mimetype in {"image/vnd.microsoft.icon", "image/x-icon"}
    page = client.get("/login").get_data(as_text=True)
    assert '<link rel="icon" href="/static/icons/coordapp.svg" type="image/svg+xml">' in page
    assert client.get("/static/icons/coordapp.svg").status_code == 200


def _invitation_email(language: str) -> OutgoingMessage:
    meeting = make_meeting(title="Coordination", starts_at=STARTS)
    contact = make_contact(make_organisation(), name="Alena", language=language)
    invite_contacts(meeting, [contact], by=None)
    db.session.flush()
    message = db.session.query(OutgoingMessage).filter_by(
        kind=MessageKind.INVITATION, to_email=contact.email
    )
    return written(message.one())


@pytest.mark.parametrize(
    ("language", "salutation"),
    [("en", "Dear Alena,"), ("ru", "Уважаемый(ая) Alena!"), ("be", "Паважаны(ая) Alena!")],
)
def test_html_email_declares_the_recipients_language_and_greets_as_a_letter(
    app, language, salutation
):
    message = _invitation_email(language)
    assert f'<html lang="{language}">' in message.html_body
    assert salutation in message.text_body
    assert salutation in message.html_body


@pytest.mark.parametrize(("language", "city"), [("ru", "Минск"), ("be", "Мінск")])
def test_rsvp_agenda_names_the_zone_in_the_readers_language(app, client, language, city):
    meeting = make_meeting(starts_at=STARTS)
    db.session.add(AgendaItem(meeting=meeting, title="Opening", position=1))
    invitation = Invitation(meeting=meeting, contact=make_contact(language=language))
    db.session.add(invitation)
    db.session.commit()
    page = client.get(f"/rsvp/{rsvp_token(invitation)}").get_data(as_text=True)
    assert 'id="agenda"' in page
    assert "Europe/Minsk" not in page
    assert f"({city})" in page


def test_a_time_range_names_its_zone_once(app, secretariat_client):
    meeting = make_meeting(starts_at=STARTS, hours=3)
    page = secretariat_client.get(f"/meetings/{meeting.id}/agenda").get_data(as_text=True)
    assert "Tue 15 Dec 2026, 11:00 – 14:00 (Europe/Minsk)" in page
    assert "(Europe/Minsk) –" not in page


@pytest.mark.parametrize(
    ("language", "period", "recipient"), [("ru", ("С", "По"), "Кому"), ("be", ("Ад", "Да"), "Каму")]
)
def test_to_of_a_period_and_to_of_a_message_are_two_words(
    app, secretariat_client, language, period, recipient
):
    from tests.factories import make_series

    series = make_series()
    headers = {"Accept-Language": language}
    page = secretariat_client.get(f"/series/{series.id}/report", headers=headers)
    html = page.get_data(as_text=True)
    assert f'<label for="period-from">{period[0]}</label>' in html
    assert f'<label for="period-to">{period[1]}</label>' in html
    queue_email(
        kind=MessageKind.INVITATION,
        to_email="a@example.org",
        to_name="A",
        subject="S",
        text_body="T",
    )
    db.session.commit()
    outbox = secretariat_client.get("/mail", headers=headers).get_data(as_text=True)
    assert f'<th scope="col">{recipient}</th>' in outbox


def test_a_page_with_several_forms_repeats_no_csrf_id(app, secretariat_client):
    """Each form carries its CSRF token; none of them repeats an id (Nu Html Checker's
    "Duplicate ID csrf_token")."""
    app.config["WTF_CSRF_ENABLED"] = True
    meeting = make_meeting()
    for n in range(2):
        db.session.add(Invitation(meeting=meeting, contact=make_contact(name=f"Guest {n}")))
    db.session.commit()
    html = secretariat_client.get(f"/meetings/{meeting.id}/invitations").get_data(as_text=True)
    assert html.count('name="csrf_token"') >= 2
    assert 'id="csrf_token"' not in html
