"""Attachments on agenda items: type by content, size, names, downloads for users and for
invitees holding a valid RSVP link."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime
from urllib.parse import quote

import pytest
import sqlalchemy as sa

from coordapp.agenda import uploads
from coordapp.extensions import db
from coordapp.links import rsvp_token
from coordapp.models import AuditEvent, Invitation, MeetingStatus
from coordapp.models.agenda import AgendaItem, Attachment
from tests.factories import TINY_PDF, make_attachment, make_contact, make_meeting

PDF = TINY_PDF
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40


def zip_bytes(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


DOCX = zip_bytes({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"})
XLSX = zip_bytes({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"})
ODT = zip_bytes({"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<x/>"})
LEGACY_XLS = bytes.fromhex("D0CF11E0A1B11AE1") + b"\x00" * 100 + "Workbook".encode("utf-16-le")


def make_item(meeting=None, title="Migration data") -> AgendaItem:
    item = AgendaItem(meeting=meeting or make_meeting(), position=0, title=title)
    db.session.add(item)
    db.session.commit()
    return item


def upload(client, item, name: str, data: bytes):
    return client.post(
        f"/agenda/items/{item.id}/attachments",
        data={"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def attachments() -> list[Attachment]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Attachment).order_by(Attachment.id)))


def test_a_pdf_is_attached_and_downloaded_unchanged(secretariat_client):
    item = make_item()
    response = upload(secretariat_client, item, "Policy brief.pdf", PDF)
    assert response.status_code == 302

    [attachment] = attachments()
    assert (attachment.filename, attachment.content_type, attachment.size) == (
        "Policy brief.pdf",
        "application/pdf",
        len(PDF),
    )
    page = secretariat_client.get(f"/meetings/{item.meeting_id}/agenda").get_data(as_text=True)
    assert "Policy brief.pdf" in page

    download = secretariat_client.get(f"/attachments/{attachment.id}")
    assert download.status_code == 200
    assert download.data == PDF
    assert download.mimetype == "application/pdf"
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    disposition = download.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="Policy_brief.pdf"')
    assert "filename*=UTF-8''Policy%20brief.pdf" in disposition
    assert db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "agenda.attachment_add")
    )


@pytest.mark.parametrize(
    "name, data, message",
    [
        ("budget.pdf", PNG, "is called .pdf but its content is PNG"),
        ("setup.exe", b"MZ\x90\x00" + b"\x00" * 60, "This type of file is not accepted"),
        ("report.pdf", b"MZ\x90\x00" + b"\x00" * 60, "is not a PDF, Office document or image"),
        ("table.xlsx", DOCX, "is called .xlsx but its content is DOCX"),
        ("archive.docx", zip_bytes({"a.txt": b"hello"}), "is not a PDF, Office document"),
        ("empty.pdf", b"", "The file is empty."),
    ],
)
def test_files_whose_content_is_not_what_we_accept_are_refused(
    secretariat_client, name, data, message
):
    item = make_item()
    response = upload(secretariat_client, item, name, data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert attachments() == []


def test_office_documents_and_images_are_recognised_by_content():
    assert uploads.detect_kind(DOCX) == "docx"
    assert uploads.detect_kind(XLSX) == "xlsx"
    assert uploads.detect_kind(ODT) == "odt"
    assert uploads.detect_kind(LEGACY_XLS) == "xls"
    assert uploads.detect_kind(b"\xff\xd8\xff\xe0" + b"\x00" * 10) == "jpeg"
    assert uploads.detect_kind(b"GIF89a" + b"\x00" * 10) == "gif"
    assert uploads.detect_kind(b"RIFF\x10\x00\x00\x00WEBPVP8 ") == "webp"
    assert uploads.detect_kind(bytes.fromhex("D0CF11E0A1B11AE1") + b"\x00" * 100) is None
    assert uploads.detect_kind(b"PK\x03\x04 broken zip") is None
    checked = uploads.check_upload("Minutes.ODT", ODT, 10_000)
    assert checked.content_type == "application/vnd.oasis.opendocument.text"


def test_a_file_over_the_configured_limit_is_refused(app, secretariat_client):
    app.config["ATTACHMENT_MAX_BYTES"] = 1000
    item = make_item()
    response = upload(secretariat_client, item, "big.pdf", PDF + b"0" * 1000)
    assert response.status_code == 413
    assert "attachments may be at most 1000 B" in response.get_data(as_text=True)
    assert attachments() == []


def test_a_request_over_the_server_limit_gets_a_clear_413(app, secretariat_client):
    app.config["MAX_CONTENT_LENGTH"] = 2000
    item = make_item()
    response = upload(secretariat_client, item, "huge.pdf", PDF + b"0" * 5000)
    assert response.status_code == 413
    assert "The file you sent is too large. Attachments may be at most" in response.get_data(
        as_text=True
    )
    assert attachments() == []


def test_the_file_name_loses_paths_and_control_characters(secretariat_client):
    item = make_item()
    raw = "../../etc/Отчёт\x07 \u202eмиграция\t2027.pdf"
    assert upload(secretariat_client, item, raw, PDF).status_code == 302
    [attachment] = attachments()
    assert attachment.filename == "Отчёт миграция 2027.pdf"

    download = secretariat_client.get(f"/attachments/{attachment.id}")
    disposition = download.headers["Content-Disposition"]
    assert "/" not in disposition.split("filename*=")[0]
    assert f"filename*=UTF-8''{quote(attachment.filename, safe='')}" in disposition
    long_name = uploads.display_name("x" * 400 + ".pdf")
    assert len(long_name) <= uploads.MAX_DISPLAY_NAME and long_name.endswith(".pdf")


def test_attachment_is_removed(secretariat_client):
    item = make_item()
    upload(secretariat_client, item, "a.pdf", PDF)
    [attachment] = attachments()
    response = secretariat_client.post(f"/attachments/{attachment.id}/delete")
    assert response.status_code == 302
    assert attachments() == []


def test_no_upload_to_a_closed_meeting(secretariat_client):
    item = make_item(make_meeting(status=MeetingStatus.CLOSED))
    response = upload(secretariat_client, item, "a.pdf", PDF)
    assert response.status_code == 409
    assert attachments() == []


def test_member_downloads_but_cannot_upload(member_client):
    item = make_item()
    assert upload(member_client, item, "a.pdf", PDF).status_code == 403
    attachment = make_attachment(item, "a.pdf", PDF)
    assert member_client.get(f"/attachments/{attachment.id}").data == PDF


def test_anonymous_visitor_is_sent_to_log_in(client):
    item = make_item()
    attachment = make_attachment(item, "a.pdf", PDF)
    response = client.get(f"/attachments/{attachment.id}")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


# --- invitees through their RSVP link -------------------------------------------------------


def invited_with_attachment():
    meeting = make_meeting()
    invitation = Invitation(meeting=meeting, contact=make_contact())
    item = make_item(meeting)
    db.session.add(invitation)
    attachment = make_attachment(item, "Briefing note.pdf", PDF)
    return invitation, attachment


def test_invitee_downloads_an_attachment_with_their_link(client):
    invitation, attachment = invited_with_attachment()
    token = rsvp_token(invitation)

    page = client.get(f"/rsvp/{token}").get_data(as_text=True)
    assert f"/rsvp/{token}/attachments/{attachment.id}" in page

    response = client.get(f"/rsvp/{token}/attachments/{attachment.id}")
    assert response.status_code == 200
    assert response.data == PDF
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "Briefing%20note.pdf" in response.headers["Content-Disposition"]


def test_invitee_cannot_download_another_meetings_attachment(client):
    invitation, _ = invited_with_attachment()
    _, foreign = invited_with_attachment()
    response = client.get(f"/rsvp/{rsvp_token(invitation)}/attachments/{foreign.id}")
    assert response.status_code == 404
    assert PDF not in response.data


def test_a_wrong_or_withdrawn_link_gives_no_attachment(client):
    invitation, attachment = invited_with_attachment()
    token = rsvp_token(invitation)
    assert client.get(f"/rsvp/{token[:-2]}xx/attachments/{attachment.id}").status_code == 404
    assert client.get(f"/rsvp/x/attachments/{attachment.id}").status_code == 404

    invitation.withdrawn_at = datetime.now(UTC)
    db.session.commit()
    response = client.get(f"/rsvp/{token}/attachments/{attachment.id}")
    assert response.status_code == 410
    assert PDF not in response.data


def test_an_attachment_is_not_read_as_one_more_bullet_of_the_description(client):
    """A description ending in a list, then the files: they are labelled and apart."""
    invitation, attachment = invited_with_attachment()
    attachment.agenda_item.description = "Points:\n\n- budget\n- timeline"
    db.session.commit()

    page = client.get(f"/rsvp/{rsvp_token(invitation)}").get_data(as_text=True)
    description_end = page.index("timeline")
    files = page[description_end : page.index("Briefing note.pdf")]
    assert "</ul>" in files  # the description's list has ended
    assert "Documents:" in files and '<ul class="attachments">' in files
