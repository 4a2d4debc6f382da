"""The official nomination letter: rendered by the worker into a stored PDF, in the
organisation's language (Belarusian here; Russian in tests/test_nominations.py), addressed
to the head of the organisation, with the letter's date and number, the meeting, places,
deadline, chairs, the nomination link as text and as a QR code that decodes to it, and
attached to the focal point's email. ONE rendered letter in this module (CI is slow)."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime, timedelta
from email import message_from_bytes

from coordapp.extensions import db
from coordapp.links import nomination_url
from coordapp.mail.mime import as_bytes, attachment_pending, build_message
from coordapp.models import (
    Category,
    DocumentStatus,
    MessageKind,
    NominationLetter,
    NominationRequest,
    OutgoingMessage,
    Role,
)
from coordapp.nominations import service, tasks
from tests.factories import make_contact, make_meeting, make_organisation, make_user
from tests.outbox import written

STARTS = datetime(2030, 3, 7, 7, 0, tzinfo=UTC)


def _text(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "letter.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout


def _qr_payloads(pdf: bytes, tmp_path) -> list[str]:
    path = tmp_path / "letter.pdf"
    path.write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", "200", "-png", "-f", "1", "-l", "1", str(path), str(tmp_path / "p")],
        check=True,
        timeout=60,
    )
    [image] = sorted(tmp_path.glob("p*.png"))
    decoded = subprocess.run(
        ["zbarimg", "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", str(image)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    return [line for line in decoded.stdout.splitlines() if line.strip()]


def render_one_letter(app, tmp_path):
    """One letter, rendered once for all the module's checks."""
    with app.test_request_context():
        chair = make_user(name="Rita Coordinator")
        meeting = make_meeting(
            title="Чацвёртае пашыранае пасяджэнне",
            starts_at=STARTS,
            rsvp_deadline=STARTS - timedelta(days=7),
            venue="UN House, Minsk",
            online_url="https://meet.example.org/cnm4",
            chairs=[(chair, "UN Resident Coordinator")],
        )
        ministry = make_organisation(
            "Міністэрства ўнутраных спраў",
            "МУС",
            Category.NATIONAL_GOVERNMENT,
            language="be",
            head_name="Іван Іванавіч Міністраў",
            head_title="Міністр унутраных спраў",
        )
        make_contact(ministry, "Olga Focal", "olga@mvd.example", focal_point=True)
        result = service.ask_to_nominate(meeting, [ministry], places=3, by=chair)
        db.session.commit()
        (nomination,) = result.asked
        (document_id,) = result.letter_ids
        mail = db.session.scalar(
            db.select(OutgoingMessage).where(OutgoingMessage.kind == MessageKind.INVITATION)
        )
        assert attachment_pending(mail)  # the email waits for its letter

        assert tasks.render_nomination_letter(document_id)() == "ready"
        document = db.session.get(NominationLetter, document_id)
        return {
            "nomination": db.session.get(NominationRequest, nomination.id),
            "document": document,
            "pdf": document.data,
            "link": nomination_url(nomination),
            "text": _text(document.data, tmp_path),
            "qr": _qr_payloads(document.data, tmp_path),
            "mail": mail,
        }


def test_one_letter_end_to_end(app, client, tmp_path):
    letter = render_one_letter(app, tmp_path)
    check_addressed_to_the_head_in_the_organisations_language(letter)
    check_the_qr_code_decodes_to_the_nomination_link_printed_beside_it(letter)
    check_attached_to_the_focal_points_email(app, letter)
    check_the_secretariat_downloads_it_others_cannot(client, letter)


def check_addressed_to_the_head_in_the_organisations_language(letter):
    text = " ".join(letter["text"].split())
    assert letter["document"].status is DocumentStatus.READY
    assert "Міністр унутраных спраў" in text
    assert "Іван Іванавіч Міністраў" in text
    assert "Міністэрства ўнутраных спраў" in text
    # The number and the date, the Belarusian way (the day the request was made).
    nomination = letter["nomination"]
    assert f"{nomination.meeting_id}-{nomination.id}/" in text
    assert "студзеня" in text or "лютага" in text or "снежня" in text or " г." in text
    # The meeting, the places, the deadline, the chairs.
    assert "Чацвёртае пашыранае пасяджэнне" in text
    assert "UN House, Minsk" in text
    assert "Rita Coordinator" in text
    # Belarusian, not English.
    assert "Паважаны(ая) Іван Іванавіч Міністраў!" in text
    assert "Ад імя старшынь маем гонар" in text and "Афіцыйны ліст" in text
    assert "Dear" not in text and "Nominate by" not in text and "Official letter" not in text


def check_the_qr_code_decodes_to_the_nomination_link_printed_beside_it(letter):
    assert letter["qr"] == [letter["link"]]
    assert letter["link"] in "".join(letter["text"].split())


def check_attached_to_the_focal_points_email(app, letter):
    with app.test_request_context():
        mail = written(db.session.get(OutgoingMessage, letter["mail"].id))
        assert not attachment_pending(mail)
        message = message_from_bytes(as_bytes(build_message(mail)))
        pdfs = [
            part.get_payload(decode=True)
            for part in message.walk()
            if part.get_content_type() == "application/pdf"
        ]
        assert pdfs == [letter["pdf"]]
        assert mail.to_email == "olga@mvd.example"


def check_the_secretariat_downloads_it_others_cannot(client, letter):
    from tests.conftest import login_as

    nomination = letter["nomination"]
    path = f"/meetings/{nomination.meeting_id}/nominations/{nomination.id}/letter.pdf"
    login_as(client, make_user(role=Role.MEMBER))
    assert client.get(path).status_code == 403
    # Not through the agenda's document pages either (it carries the organisation's link).
    assert client.get(f"/documents/{letter['document'].id}/download").status_code == 404
    login_as(client, make_user(role=Role.SECRETARIAT))
    response = client.get(path)
    assert response.status_code == 200
    assert response.data == letter["pdf"]
