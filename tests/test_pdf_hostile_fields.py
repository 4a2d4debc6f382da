"""The minutes PDF fetches nothing outside the app: `file://` and `http://` references
typed into every text field that reaches the PDF are neither read nor requested."""

from __future__ import annotations

import builtins
import http.server
import subprocess
import threading
from datetime import UTC, datetime

import pytest

from coordapp.extensions import db
from coordapp.minutes import service as minutes_service
from coordapp.models import Category, Contact, Invitation, InvitationStatus, MeetingStatus, Role
from coordapp.models.agenda import AgendaItem, AgendaItemKind
from coordapp.models.commitment import Commitment, CommitmentSDG
from coordapp.models.invitation import Attendance
from coordapp.pdf import fetcher as pdf_fetcher
from tests.factories import make_meeting, make_organisation, make_series, make_user


@pytest.fixture
def trap(tmp_path):
    """A loopback web server that counts requests, and a secret file nobody may read."""
    requests: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's naming
            requests.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    secret = tmp_path / "secret-canary.txt"
    secret.write_text("CANARY-SECRET-CONTENT")
    yield {
        "requests": requests,
        "http": f"http://127.0.0.1:{server.server_port}",
        "file": f"file://{secret}",
        "secret": secret,
    }
    server.shutdown()


def _payload(trap: dict, label: str) -> str:
    http, file = trap["http"], trap["file"]
    return (
        f'{label} ![img]({http}/{label}.png) <img src="{file}"> <img src="{http}/{label}">'
        f' [link]({file}) <link rel=stylesheet href="{http}/{label}.css">'
        f" <style>@import url({http}/{label}-import.css);</style> url(/etc/passwd)"
        f' <iframe src="{file}"></iframe> ../../../../etc/passwd'
    )


def test_hostile_references_in_every_field_are_neither_read_nor_requested(
    app, trap, tmp_path, monkeypatch
):
    from coordapp.minutes_pdf.render import render_unsigned

    p = lambda label: _payload(trap, label)  # noqa: E731
    chair = make_user(Role.MEMBER, name=p("chair-name")[:200], email="chair@example.org")
    series = make_series(name=p("series")[:300], description=p("series-description"))
    meeting = make_meeting(
        title=p("title")[:300],
        series=series,
        number=1,
        status=MeetingStatus.HELD,
        venue=p("venue")[:500],
        online_url=f"{trap['http']}/online",
        description=p("description"),
        starts_at=datetime(2027, 3, 4, 7, tzinfo=UTC),
        chairs=[(chair, p("role")[:200])],
    )
    organisation = make_organisation(
        name=p("organisation")[:300], acronym="ORG", category=Category.CIVIL_SOCIETY
    )
    person = Contact(
        name=p("contact")[:200],
        position=p("position")[:200],
        email="person@example.org",
        organisation=organisation,
    )
    db.session.add(person)
    db.session.flush()
    db.session.add(
        Invitation(
            meeting_id=meeting.id,
            contact_id=person.id,
            status=InvitationStatus.ACCEPTED,
            attendance=Attendance.PRESENT,
        )
    )
    item = AgendaItem(
        meeting_id=meeting.id,
        position=0,
        title=p("item")[:300],
        description=p("item-description"),
        kind=AgendaItemKind.DISCUSSION,
    )
    db.session.add(item)
    db.session.commit()
    version = minutes_service.current_version(meeting)
    db.session.flush()
    version.items[0].text = p("minutes")
    version.items[0].decisions = [p("decision")[:500]]
    version.opening_summary = p("opening")
    version.closing_summary = p("closing")
    version.next_meeting_note = p("next")[:500]
    commitment = Commitment(
        meeting_id=meeting.id,
        agenda_item_id=item.id,
        description=p("commitment"),
        responsible_contact_id=person.id,
    )
    commitment.organisations = [organisation]
    commitment.sdgs = [CommitmentSDG(goal=10)]
    db.session.add(commitment)
    db.session.commit()

    served: list[str] = []
    original_fetch = pdf_fetcher.SafeURLFetcher.fetch

    def spying_fetch(self, url, *args, **kwargs):
        response = original_fetch(self, url, *args, **kwargs)
        served.append(url)
        return response

    opened: list[str] = []
    original_open = builtins.open

    def spying_open(file, *args, **kwargs):
        if "secret-canary" in str(file) or str(file).endswith("passwd"):
            opened.append(str(file))
        return original_open(file, *args, **kwargs)

    monkeypatch.setattr(pdf_fetcher.SafeURLFetcher, "fetch", spying_fetch)
    monkeypatch.setattr(builtins, "open", spying_open)
    pdf, _fields = render_unsigned(version)
    monkeypatch.undo()

    assert pdf.startswith(b"%PDF-")
    assert trap["requests"] == [], "the renderer requested an outside URL"
    assert opened == [], "the renderer opened a file that is not one of the app's assets"
    assert served, "the app's own stylesheet and fonts are still served"
    assert all(url.startswith((pdf_fetcher.ASSET_BASE_URL, "data:")) for url in served), served
    out = tmp_path / "minutes.pdf"
    out.write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", str(out), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "CANARY-SECRET-CONTENT" not in text
    assert "minutes" in text and "commitment" in text  # the fields did reach the PDF, as text
