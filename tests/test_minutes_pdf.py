"""The minutes PDF: rendered once per submitted version by the worker, signed by each
chair in turn, downloaded by the secretariat, the chairs and the invitees.

Rendering costs seconds, so ONE meeting is rendered and signed for the whole module (the
`signed` fixture: chair 1 approves while the PDF is still being rendered, chair 2 after)
and the tests assert on that result. Tests of the routes put the shared bytes into fresh
rows instead of rendering again.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
import time
from datetime import UTC, date, datetime, timedelta
from io import BytesIO
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization

from coordapp import create_app
from coordapp.extensions import db
from coordapp.minutes import service as minutes_service
from coordapp.minutes_pdf import signing as pdf_signing
from coordapp.minutes_pdf import tasks as pdf_tasks
from coordapp.models import (
    Category,
    Contact,
    Invitation,
    InvitationStatus,
    Meeting,
    MeetingStatus,
    Role,
    User,
)
from coordapp.models.agenda import AgendaItem, AgendaItemKind
from coordapp.models.approval import (
    DocumentStatus,
    MinutesApproval,
    MinutesDocument,
    SignatureStatus,
)
from coordapp.models.commitment import (
    Commitment,
    CommitmentGCM,
    CommitmentSDG,
    CommitmentStatus,
)
from coordapp.models.invitation import Attendance
from coordapp.models.minutes import MinutesStatus, MinutesVersion
from coordapp.signing.ca import current_ca, init_ca
from coordapp.web import get_meeting_or_404
from tests.concurrency import right_after_the_commit_of
from tests.conftest import _empty_all_tables, login_as, test_config
from tests.factories import (
    make_certification_authority,
    make_meeting,
    make_organisation,
    make_pkcs12,
    make_series,
    make_user,
)

CYRILLIC_CHAIR = "Аляксандр Лукашэвіч"
CYRILLIC_PRESENTER = "Ірына Шчарбакова"
NETWORK = "UN Country Network on Migration"


# --- the shared document ------------------------------------------------------------------


def build_submitted_minutes(
    tag: str = "", chairs: tuple[User, User] | None = None, uses_gcm: bool = True
) -> SimpleNamespace:
    """A held meeting with two chairs (one Cyrillic; new users unless `chairs` are given),
    three agenda items with minutes and decisions, two commitments and a few attendees; its
    minutes version 1 submitted, with the PENDING document the approval workflow creates
    on submission. The series uses the GCM objectives (unless `uses_gcm` is False): the
    dashboard counts for objective 1."""
    chair_one, chair_two = chairs or (
        make_user(Role.MEMBER, name="Anna Resident", email=f"anna{tag}@example.org"),
        make_user(Role.MEMBER, name=CYRILLIC_CHAIR, email=f"alex{tag}@example.org"),
    )
    series = make_series(name=NETWORK + tag, uses_gcm=uses_gcm)
    meeting = make_meeting(
        title="Fourth extended meeting",
        series=series,
        number=4,
        venue="UN House, Minsk",
        status=MeetingStatus.HELD,
        starts_at=datetime(2027, 3, 4, 7, 0, tzinfo=UTC),
        chairs=[(chair_one, "UN Resident Coordinator"), (chair_two, "Head of IOM office")],
    )
    iom = make_organisation(name=f"IOM{tag}", acronym="IOM", category=Category.UN_AGENCY)
    statistics = make_organisation(
        name=f"National Statistical Committee{tag}", category=Category.NATIONAL_GOVERNMENT
    )
    titles = ["Opening remarks", "National migration policy", "Migration data"]
    agenda = [
        AgendaItem(
            meeting_id=meeting.id,
            position=n,
            title=title,
            kind=AgendaItemKind.DISCUSSION,
            duration_minutes=30,
        )
        for n, title in enumerate(titles)
    ]
    db.session.add_all(agenda)
    db.session.commit()
    version = minutes_service.current_version(meeting)
    db.session.flush()
    items = {item.agenda_item.title: item for item in version.items}
    items["Opening remarks"].text = "The co-chairs **welcomed** the partners."
    items[
        "National migration policy"
    ].text = f"{CYRILLIC_PRESENTER} presented the new national policy on migration."
    items["National migration policy"].decisions = ["Endorse the policy roadmap"]
    items["Migration data"].text = "Partners discussed a data dashboard."
    items["Migration data"].decisions = ["Set up a working group on migration data"]

    people = [
        Contact(name=CYRILLIC_PRESENTER, email=f"iryna{tag}@example.org", organisation=statistics),
        Contact(name="Peter Partner", email=f"peter{tag}@example.org", organisation=iom),
        Contact(name="Olga Apologies", email=f"olga{tag}@example.org", organisation=iom),
        Contact(name="Andrei Absent", email=f"andrei{tag}@example.org", organisation=iom),
    ]
    db.session.add_all(people)
    db.session.flush()
    for contact, status, attendance in [
        (people[0], InvitationStatus.ACCEPTED, Attendance.PRESENT),
        (people[1], InvitationStatus.ACCEPTED, Attendance.PRESENT),
        (people[2], InvitationStatus.DECLINED, None),
        (people[3], InvitationStatus.ACCEPTED, Attendance.ABSENT),
    ]:
        db.session.add(
            Invitation(
                meeting_id=meeting.id, contact_id=contact.id, status=status, attendance=attendance
            )
        )
    for description, organisations, goals, objectives in [
        ("Publish a migration data dashboard", [statistics], [17], [1] if uses_gcm else []),
        ("Mainstream migration in local development plans", [iom, statistics], [10], []),
    ]:
        commitment = Commitment(
            meeting_id=meeting.id,
            agenda_item_id=agenda[2].id,
            description=description,
            responsible_contact_id=people[0].id,
            due_date=date(2027, 6, 30),
            status=CommitmentStatus.OPEN,
        )
        commitment.organisations = organisations
        commitment.sdgs = [CommitmentSDG(goal=goal) for goal in goals]
        commitment.gcm = [CommitmentGCM(objective=n) for n in objectives]
        db.session.add(commitment)

    version.status = MinutesStatus.SUBMITTED
    version.submitted_at = datetime.now(UTC)
    db.session.add(MinutesDocument(version_id=version.id))
    db.session.commit()
    return SimpleNamespace(
        meeting_id=meeting.id,
        version_id=version.id,
        chair_ids=[chair_one.id, chair_two.id],
    )


def approve(version_id: int, user_id: int, position: int, role_label: str) -> int:
    """A chair's approval as the workflow records it (PENDING until the worker signs)."""
    approval = MinutesApproval(
        version_id=version_id,
        user_id=user_id,
        position=position,
        role_label=role_label,
        approved_at=datetime.now(UTC) - timedelta(minutes=5),
        status=SignatureStatus.PENDING,
    )
    db.session.add(approval)
    db.session.commit()
    return approval.id


def _document(version_id: int) -> MinutesDocument:
    return pdf_signing.document_of(version_id)


def _timed(timings: list, label: str, fn):
    def run(*args, **kwargs):
        started = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            timings.append((label, time.perf_counter() - started))

    return run


@pytest.fixture(scope="module")
def signed(_schema):
    """Render the minutes once and sign them for both chairs through the worker tasks:
    chair 1 approves before the PDF is ready (their signature waits for the rendering),
    chair 2 afterwards. Returns plain values; the database is emptied afterwards."""
    import coordapp.approval.service as approval_service

    app = create_app(test_config())
    timings: list[tuple[str, float]] = []
    finished: list[tuple[int, bool]] = []
    real_finish = approval_service.finish_if_all_signed

    def finish_spy(version, **kwargs):
        result = real_finish(version, **kwargs)
        finished.append((version.id, result))
        return result

    with app.app_context(), pytest.MonkeyPatch.context() as patch:
        patch.setattr(pdf_signing, "finish_if_all_signed", finish_spy)
        patch.setattr(
            pdf_tasks, "render_unsigned", _timed(timings, "render", pdf_tasks.render_unsigned)
        )
        patch.setattr(
            pdf_signing,
            "sign_approval_with",
            _timed(timings, "signature", pdf_signing.sign_approval_with),
        )
        try:
            init_ca("Test network signing CA", "Test network")
            db.session.commit()
            ca_cert = current_ca()[0]
            world = build_submitted_minutes()
            version_id = world.version_id
            first_id = approve(version_id, world.chair_ids[0], 0, "UN Resident Coordinator")

            # The worker picks chair 1's signature up before the PDF exists: nothing happens.
            pdf_tasks.sign_approval(first_id)
            early = SimpleNamespace(
                approval_status=db.session.get(MinutesApproval, first_id).status,
                document_status=_document(version_id).status,
            )
            db.session.rollback()

            pdf_tasks.render_minutes_pdf(version_id)  # renders, then signs chair 1's approval
            db.session.rollback()
            after_first = _document(version_id)
            after_first_sha = after_first.sha256
            fields = dict(after_first.fields)

            pdf_tasks.render_minutes_pdf(version_id)  # again: must not render twice
            db.session.rollback()
            rerendered_sha = _document(version_id).sha256

            second_id = approve(version_id, world.chair_ids[1], 1, "Head of IOM office")
            pdf_tasks.sign_approval(second_id)
            pdf_tasks.sign_approval(second_id)  # a duplicate job signs nothing more
            db.session.rollback()

            document = _document(version_id)
            approvals = [db.session.get(MinutesApproval, i) for i in (first_id, second_id)]
            result = SimpleNamespace(
                world=world,
                ca_cert=ca_cert,
                early=early,
                fields=fields,
                after_first_sha=after_first_sha,
                rerendered_sha=rerendered_sha,
                pdf=document.pdf,
                sha256=document.sha256,
                unsigned_sha256=document.unsigned_sha256,
                size=document.size,
                status=document.status,
                signature_count=document.signature_count,
                rendered_at=document.rendered_at,
                approvals=[
                    SimpleNamespace(
                        status=a.status,
                        error=a.error,
                        signed_at=a.signed_at,
                        revision_sha256=a.revision_sha256,
                    )
                    for a in approvals
                ],
                version_status=db.session.get(MinutesVersion, version_id).status,
                finished=list(finished),
                timings=list(timings),
            )
        finally:
            db.session.remove()
            _empty_all_tables()
            db.engine.dispose()
    print("\nminutes PDF timings: " + ", ".join(f"{label} {t:.2f}s" for label, t in timings))
    return result


def revisions(pdf: bytes) -> list[bytes]:
    """The file as it was after each of its revisions (each ends with %%EOF)."""
    ends = [m.end() for m in re.finditer(rb"%%EOF\r?\n?", pdf)]
    return [pdf[:end] for end in ends]


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def pdftotext(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "minutes.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", "-raw", str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout


# --- rendering and signing ----------------------------------------------------------------


def test_the_pdf_shows_the_header_footer_minutes_chairs_and_commitments(signed, tmp_path):
    text = pdftotext(signed.pdf, tmp_path)
    flat = " ".join(text.split())
    pages = text.split("\f")
    # Every page has the running header (network and title) and its "Page X of Y" footer.
    assert len([page for page in pages if page.strip()]) == 3
    for number, page in enumerate(pages[:3], start=1):
        assert "Coordination network Fourth extended meeting" in " ".join(page.split())
        assert f"Page {number} of 3" in page
    assert "UN House, Minsk" in flat and "(Europe/Minsk)" in flat
    assert "Anna Resident" in flat and CYRILLIC_CHAIR in flat
    assert "UN Resident Coordinator" in flat and "Head of IOM office" in flat
    assert "National migration policy" in flat
    assert f"{CYRILLIC_PRESENTER} presented the new national policy" in flat
    assert "Set up a working group on migration data" in flat
    assert "Publish a migration data dashboard" in flat
    assert "SDG 17: Partnerships for the goals" in flat
    # The series uses the Global Compact for Migration: its objectives have a column.
    assert "GCM objectives" in flat
    assert "Objective 1: Collect and utilize accurate and disaggregated data" in flat
    assert "Olga Apologies" in flat  # apologies
    assert "Absent Andrei Absent" in flat
    # Page 1 names the meeting once (its header), not again in the running header or
    # in the heading of the minutes.
    assert " ".join(pages[0].split()).count("Fourth extended meeting") == 1
    # The narrow "Due" column keeps a date on one line.
    assert "30 Jun 2027" in text
    # The signature page names the chairs in the meeting's order.
    signature_page = flat[flat.rindex("Approval by the chairs") :]
    assert signature_page.index("Anna Resident") < signature_page.index(CYRILLIC_CHAIR)


def test_both_chairs_signatures_are_valid_for_pdfsig_and_the_file_for_qpdf(signed, tmp_path):
    path = tmp_path / "minutes.pdf"
    path.write_bytes(signed.pdf)
    pdfsig = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, timeout=60)
    assert pdfsig.stdout.count("Signature Validation: Signature is Valid.") == 2, pdfsig.stdout
    first, second = signed.world.chair_ids
    assert signed.fields == {
        f"chair-{first}": f"Chair1_{first}",
        f"chair-{second}": f"Chair2_{second}",
    }
    assert f"Signature Field Name: Chair1_{first}" in pdfsig.stdout
    assert f"Signature Field Name: Chair2_{second}" in pdfsig.stdout
    assert "Anna Resident" in pdfsig.stdout and CYRILLIC_CHAIR in pdfsig.stdout
    qpdf = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True)
    assert qpdf.returncode == 0, qpdf.stdout + qpdf.stderr


def test_each_signature_is_an_incremental_update_recorded_on_its_approval(signed):
    assert signed.status is DocumentStatus.READY
    assert signed.signature_count == 2
    assert signed.sha256 == sha(signed.pdf) and signed.size == len(signed.pdf)
    assert [a.status for a in signed.approvals] == [SignatureStatus.SIGNED] * 2
    assert all(a.signed_at is not None and a.error is None for a in signed.approvals)
    # The rendering (with its fields) is the first revision, then one per signature.
    by_hash = {sha(revision): n for n, revision in enumerate(revisions(signed.pdf))}
    unsigned = by_hash[signed.unsigned_sha256]
    first = by_hash[signed.approvals[0].revision_sha256]
    second = by_hash[signed.approvals[1].revision_sha256]
    assert unsigned < first < second == len(by_hash) - 1
    assert signed.approvals[0].revision_sha256 == signed.after_first_sha
    assert signed.approvals[1].revision_sha256 == signed.sha256


def test_the_version_is_approved_once_every_chair_signed(signed):
    version_id = signed.world.version_id
    assert signed.finished == [(version_id, False), (version_id, True)]
    assert signed.version_status is MinutesStatus.APPROVED


def test_a_signature_waits_for_the_rendering_and_rendering_happens_once(signed):
    assert signed.early.approval_status is SignatureStatus.PENDING
    assert signed.early.document_status is DocumentStatus.PENDING
    assert signed.rerendered_sha == signed.after_first_sha
    assert [label for label, _t in signed.timings] == ["render", "signature", "signature"]


def test_the_signed_file_is_authentic_and_chains_to_the_deployments_ca(signed):
    from coordapp.signing.verify import verify_pdf

    report = verify_pdf(signed.pdf, [signed.ca_cert])
    assert report.authentic and report.error is None
    first, second = report.signatures
    assert [first.signer_name, second.signer_name] == ["Anna Resident", CYRILLIC_CHAIR]
    assert all(s.intact and s.valid and s.trusted for s in report.signatures)
    assert first.modified_after and first.modifications_permitted
    assert not second.modified_after


# --- failures -----------------------------------------------------------------------------


def test_a_meeting_without_chairs_fails_to_render_with_a_message(app):
    world = build_submitted_minutes()
    meeting = get_meeting_or_404(world.meeting_id)
    meeting.chairs.clear()
    db.session.commit()

    pdf_tasks.render_minutes_pdf(world.version_id)

    document = _document(world.version_id)
    assert document.status is DocumentStatus.FAILED
    assert "no chairs" in document.error
    assert document.pdf is None


def test_a_failed_signature_is_shown_and_try_again_signs(app, client, signed):
    init_ca()
    db.session.commit()
    world = build_submitted_minutes()
    unsigned = next(r for r in revisions(signed.pdf) if sha(r) == signed.unsigned_sha256)
    document = _document(world.version_id)
    first, _second = world.chair_ids
    document.status = DocumentStatus.READY
    document.pdf, document.sha256, document.size = unsigned, sha(unsigned), len(unsigned)
    document.unsigned_sha256 = sha(unsigned)
    document.fields = {}  # the chair's field is missing: signing must fail, visibly
    db.session.commit()
    approval_id = approve(world.version_id, first, 0, "UN Resident Coordinator")

    pdf_tasks.sign_approval(approval_id)

    approval = db.session.get(MinutesApproval, approval_id)
    assert approval.status is SignatureStatus.FAILED
    assert "no signature field" in approval.error
    assert _document(world.version_id).signature_count == 0
    from flask import render_template_string

    chair_user = db.session.get(User, first)
    with app.test_request_context("/"):
        shown = render_template_string(
            '{% include "minutes_pdf/_signature_actions.html" %}',
            approval=approval,
            document=_document(world.version_id),
            current_user=chair_user,
        )
    assert "Signing failed" in shown and "no signature field" in shown
    assert f"/minutes/approvals/{approval_id}/retry-signature" in shown
    assert f"/minutes/approvals/{approval_id}/sign-with-certificate" in shown

    # The field names in the shared file are of other users: map this chair to field 1.
    document = _document(world.version_id)
    document.fields = {f"chair-{first}": signed.fields[f"chair-{signed.world.chair_ids[0]}"]}
    db.session.commit()
    login_as(client, db.session.get(User, first))
    response = client.post(f"/minutes/approvals/{approval_id}/retry-signature")

    assert response.status_code == 303
    db.session.expire_all()
    approval = db.session.get(MinutesApproval, approval_id)
    assert approval.status is SignatureStatus.SIGNED and approval.error is None
    assert _document(world.version_id).signature_count == 1


def _signable_copy_of_the_shared_pdf(signed, tag: str, chairs=None) -> SimpleNamespace:
    """A fresh submitted version whose PENDING document holds the shared unsigned bytes
    (rendered once for the module), with a field for each of its chairs."""
    world = build_submitted_minutes(tag, chairs)
    unsigned = next(r for r in revisions(signed.pdf) if sha(r) == signed.unsigned_sha256)
    document = _document(world.version_id)
    document.status = DocumentStatus.READY
    document.pdf, document.sha256, document.size = unsigned, sha(unsigned), len(unsigned)
    document.unsigned_sha256 = sha(unsigned)
    document.fields = {
        f"chair-{mine}": signed.fields[f"chair-{shared}"]
        for mine, shared in zip(world.chair_ids, signed.world.chair_ids, strict=True)
    }
    db.session.commit()
    return world


def _pdfsig_valid_count(pdf: bytes, tmp_path) -> int:
    path = tmp_path / "race.pdf"
    path.write_bytes(pdf)
    report = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, timeout=60)
    return report.stdout.count("Signature Validation: Signature is Valid.")


@pytest.mark.commits  # threads, each on its own connection
def test_two_chairs_approving_at_the_same_instant_both_sign_every_time(
    app, signed, tmp_path, caplog
):
    """Both chairs press "Approve and sign" at once, ten times over: signatures on one
    document are made one at a time (the second signs the bytes the first produced), so
    both are valid every time, no chair is asked to try again and nothing logs a
    traceback."""
    import logging
    import threading

    from coordapp.approval import service as approval_service
    from coordapp.signing.identities import identity_for

    caplog.set_level(logging.WARNING)
    init_ca()
    chairs = (
        make_user(Role.MEMBER, name="Anna Resident", email="anna-race@example.org"),
        make_user(Role.MEMBER, name=CYRILLIC_CHAIR, email="alex-race@example.org"),
    )
    for chair in chairs:  # issue the certificates once, now: race on signing only
        identity_for(chair)
    db.session.commit()
    chair_ids = [chair.id for chair in chairs]
    for repetition in range(10):
        chairs = tuple(db.session.get(User, chair_id) for chair_id in chair_ids)
        world = _signable_copy_of_the_shared_pdf(signed, f"-race{repetition}", chairs)
        db.session.remove()
        start = threading.Barrier(len(world.chair_ids))
        errors: list[BaseException] = []

        def approve_and_sign(chair_id, version_id=world.version_id, start=start, errors=errors):
            with app.app_context():
                try:
                    version = db.session.get(MinutesVersion, version_id)
                    chair = db.session.get(User, chair_id)
                    start.wait()
                    approval = approval_service.approve(version, chair)
                    db.session.commit()
                    approval_service.request_signature(approval.id)
                except BaseException as error:  # reported below, not lost in the thread
                    errors.append(error)
                finally:
                    db.session.remove()

        threads = [
            threading.Thread(target=approve_and_sign, args=(chair_id,))
            for chair_id in world.chair_ids
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

        assert errors == []
        approvals = db.session.scalars(
            sa.select(MinutesApproval).where(MinutesApproval.version_id == world.version_id)
        ).all()
        assert [a.status for a in approvals] == [SignatureStatus.SIGNED] * 2, (
            repetition,
            [a.error for a in approvals],
        )
        document = _document(world.version_id)
        assert document.signature_count == 2
        assert _pdfsig_valid_count(document.pdf, tmp_path) == 2, repetition
        assert db.session.get(MinutesVersion, world.version_id).status is MinutesStatus.APPROVED
        db.session.remove()
    assert [r.getMessage() for r in caplog.records if r.exc_info] == []


@pytest.mark.commits
def test_a_second_job_for_a_signed_approval_does_nothing_quietly(app, signed, caplog):
    """Two `sign_approval` jobs for one approval start together: one signs, the other
    finds it signed and stops without a traceback or a failure on the approval."""
    import logging
    import threading

    from coordapp.signing.identities import identity_for

    caplog.set_level(logging.WARNING)
    init_ca()
    world = _signable_copy_of_the_shared_pdf(signed, "-twice")
    identity_for(db.session.get(User, world.chair_ids[0]))
    db.session.commit()
    approval_id = approve(world.version_id, world.chair_ids[0], 0, "Co-chair 1")
    db.session.remove()
    start = threading.Barrier(2)

    def sign():
        with app.app_context():
            start.wait()
            pdf_tasks.sign_approval.call_local(approval_id)
            db.session.remove()

    threads = [threading.Thread(target=sign) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    approval = db.session.get(MinutesApproval, approval_id)
    assert approval.status is SignatureStatus.SIGNED and approval.error is None
    assert _document(world.version_id).signature_count == 1
    assert [r.getMessage() for r in caplog.records if r.exc_info] == []


def _document_html(world) -> str:
    from coordapp.minutes_pdf.render import minutes_html

    return minutes_html(db.session.get(MinutesVersion, world.version_id))


def test_the_minutes_list_present_apologies_and_absent_people(app):
    world = build_submitted_minutes()
    html = _document_html(world)

    attendance = html[
        html.index('class="minutes-attendance"') : html.index(
            "</section>", html.index('class="minutes-attendance"')
        )
    ]
    assert re.search(r"<h4>Apologies</h4>.*Olga Apologies", attendance, re.S)
    assert re.search(r"<h4>Absent</h4>.*Andrei Absent", attendance, re.S)
    assert "Andrei Absent" not in attendance[: attendance.index("<h4>Absent</h4>")]


def test_the_minutes_pdf_names_the_meeting_once_and_keeps_due_dates_on_one_line(app):
    world = build_submitted_minutes()
    html = _document_html(world)
    body = html[html.index("<body>") :]

    assert body.count("Fourth extended meeting") == 1  # the document's header
    assert re.search(r'<h2 class="minutes-title">\s*Minutes\s*</h2>', body)
    assert re.search(r"\.minutes-due\s*\{\s*white-space:\s*nowrap", html)
    assert re.search(r'<td class="minutes-due">\s*30 Jun 2027\s*</td>', body)


def _gcm_cells(html: str) -> list[str]:
    body = html[html.index('class="minutes-commitments"') :]
    return re.findall(r'<ul class="minutes-sdgs minutes-gcm">(.*?)</ul>', body, re.S)


def test_the_minutes_show_gcm_objectives_only_where_the_series_uses_them(app):
    """The HTML fed to WeasyPrint (the shared PDF checks the rendered text): a column of
    GCM objectives in a migration network's minutes, none in another network's."""
    html = _document_html(build_submitted_minutes())
    assert re.search(r'<th scope="col">GCM objectives</th>', html)
    assert [" ".join(re.sub("<[^>]+>", " ", cell).split()) for cell in _gcm_cells(html)] == [
        "Objective 1: Collect and utilize accurate and disaggregated data as a basis for "
        "evidence-based policies"
    ]

    other = _document_html(build_submitted_minutes(tag="-water", uses_gcm=False))
    assert "GCM objectives" not in other and _gcm_cells(other) == []


def test_the_preview_page_still_says_whose_minutes_they_are(app, secretariat_client):
    world = build_submitted_minutes()
    page = secretariat_client.get(f"/meetings/{world.meeting_id}/minutes/preview").get_data(
        as_text=True
    )
    assert "Minutes of the meeting “Fourth extended meeting”" in page
    assert "Andrei Absent" in page


# --- own certificate ----------------------------------------------------------------------


@pytest.fixture
def listed_ca(app, tmp_path):
    """A CA the deployment lists as trusted for chairs' own certificates."""
    cert, key = make_certification_authority("National PKI")
    bundle = tmp_path / "trusted-cas.pem"
    bundle.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    app.config["SIGNING_TRUSTED_CA_FILE"] = str(bundle)
    return cert, key


def own_pkcs12(password: bytes, chair_id: int, issuer) -> bytes:
    """The chair's own certificate, issued to their email by `issuer` (cert, key)."""
    email = db.session.get(User, chair_id).email
    return make_pkcs12(password, name="Anna Resident (own)", email=email, issuer=issuer)


@pytest.fixture
def ready_for_signing(app, signed):
    """A submitted version whose PDF is rendered (the shared unsigned bytes) and chair 1's
    PENDING approval."""
    world = build_submitted_minutes()
    unsigned = next(r for r in revisions(signed.pdf) if sha(r) == signed.unsigned_sha256)
    first, _second = world.chair_ids
    document = _document(world.version_id)
    document.status = DocumentStatus.READY
    document.pdf, document.sha256, document.size = unsigned, sha(unsigned), len(unsigned)
    document.unsigned_sha256 = sha(unsigned)
    document.fields = {f"chair-{first}": signed.fields[f"chair-{signed.world.chair_ids[0]}"]}
    db.session.commit()
    world.approval_id = approve(world.version_id, first, 0, "UN Resident Coordinator")
    return world


def _chair_client(client, user_id):
    login_as(client, db.session.get(User, user_id))
    return client


def test_chair_signs_with_their_own_certificate_which_is_not_stored(
    client, ready_for_signing, listed_ca
):
    world = ready_for_signing
    chair = _chair_client(client, world.chair_ids[0])
    own_file = own_pkcs12(b"s3cret", world.chair_ids[0], listed_ca)
    page = chair.get(f"/minutes/approvals/{world.approval_id}/sign-with-certificate")
    assert page.status_code == 200 and b"Sign with your own certificate" in page.data

    response = chair.post(
        f"/minutes/approvals/{world.approval_id}/sign-with-certificate",
        data={
            "certificate": (BytesIO(own_file), "me.p12"),
            "password": "s3cret",
        },
        content_type="multipart/form-data",
    )

    assert response.status_code == 303, response.get_data(as_text=True)
    approval = db.session.get(MinutesApproval, world.approval_id)
    assert approval.status is SignatureStatus.SIGNED
    document = _document(world.version_id)
    assert document.signature_count == 1 and approval.revision_sha256 == document.sha256
    from coordapp.signing.ca import trust_roots
    from coordapp.signing.verify import verify_pdf

    report = verify_pdf(document.pdf, trust_roots())
    [signature] = report.signatures
    assert signature.signer_name == "Anna Resident (own)"
    assert signature.ok  # issued by a CA the deployment lists: trusted
    # Nothing of the certificate is kept: no identity stored, no job queued with it.
    from coordapp.models import SigningIdentity

    assert db.session.scalar(sa.select(sa.func.count()).select_from(SigningIdentity)) == 0


@pytest.mark.commits  # a second connection deletes between the signature's commit and reply
def test_a_signature_returned_right_after_its_commit_still_gets_its_reply(
    client, ready_for_signing, listed_ca
):
    # The other chair returns the minutes the moment this signature commits (the return
    # drops every approval): the reply used to read the approval's expired row for the
    # redirect and answer 500.
    world = ready_for_signing
    chair = _chair_client(client, world.chair_ids[0])
    own_file = own_pkcs12(b"s3cret", world.chair_ids[0], listed_ca)
    db.session.close()

    def return_meanwhile(other) -> int:
        return other.execute(
            sa.delete(MinutesApproval).where(MinutesApproval.id == world.approval_id)
        ).rowcount

    with right_after_the_commit_of(MinutesApproval, return_meanwhile) as returned:
        response = chair.post(
            f"/minutes/approvals/{world.approval_id}/sign-with-certificate",
            data={"certificate": (BytesIO(own_file), "me.p12"), "password": "s3cret"},
            content_type="multipart/form-data",
        )

    assert returned == [1]
    assert response.status_code == 303
    assert response.location.endswith(f"/minutes/versions/{world.version_id}")


def test_a_wrong_certificate_password_is_refused_and_nothing_is_signed(
    client, ready_for_signing, listed_ca
):
    world = ready_for_signing
    chair = _chair_client(client, world.chair_ids[0])
    own_file = own_pkcs12(b"s3cret", world.chair_ids[0], listed_ca)
    response = chair.post(
        f"/minutes/approvals/{world.approval_id}/sign-with-certificate",
        data={
            "certificate": (BytesIO(own_file), "me.p12"),
            "password": "wrong",
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "the password is wrong" in response.get_data(as_text=True)
    assert db.session.get(MinutesApproval, world.approval_id).status is SignatureStatus.PENDING
    assert _document(world.version_id).signature_count == 0


def test_a_self_made_un_secretary_general_certificate_is_refused_and_nothing_signed(
    client, ready_for_signing, listed_ca
):
    """Anyone can make a certificate that says "UN Secretary-General", even with the
    chair's email: only one from a CA the deployment trusts may sign the minutes."""
    world = ready_for_signing
    chair = _chair_client(client, world.chair_ids[0])
    before = _document(world.version_id).sha256
    forged = make_pkcs12(
        b"s3cret",
        name="UN Secretary-General",
        email=db.session.get(User, world.chair_ids[0]).email,
    )

    response = chair.post(
        f"/minutes/approvals/{world.approval_id}/sign-with-certificate",
        data={"certificate": (BytesIO(forged), "sg.p12"), "password": "s3cret"},
        content_type="multipart/form-data",
    )

    assert response.status_code == 400
    assert "not issued by a certification authority this site trusts" in response.get_data(
        as_text=True
    )
    db.session.expire_all()
    assert db.session.get(MinutesApproval, world.approval_id).status is SignatureStatus.PENDING
    document = _document(world.version_id)
    assert document.signature_count == 0 and document.sha256 == before
    assert db.session.get(MinutesVersion, world.version_id).status is MinutesStatus.SUBMITTED


def test_only_the_approving_chair_may_sign_their_approval(client, ready_for_signing):
    world = ready_for_signing
    other_chair = _chair_client(client, world.chair_ids[1])
    url = f"/minutes/approvals/{world.approval_id}/sign-with-certificate"
    assert other_chair.get(url).status_code == 403
    assert other_chair.post(url, data={"password": "x"}).status_code == 403
    assert (
        other_chair.post(f"/minutes/approvals/{world.approval_id}/retry-signature").status_code
        == 403
    )
    assert client.get("/minutes/approvals/999999/sign-with-certificate").status_code == 404


# --- downloads ----------------------------------------------------------------------------


@pytest.fixture
def approved(app, signed):
    """An approved version 2 (and a superseded version 1) whose document holds the shared
    signed bytes, plus an invitation to the meeting."""
    world = build_submitted_minutes()
    version = db.session.get(MinutesVersion, world.version_id)
    newer = MinutesVersion(
        meeting_id=world.meeting_id, number=2, status=MinutesStatus.SUBMITTED, amends_id=version.id
    )
    db.session.add(newer)
    db.session.flush()
    for v in (version, newer):
        document = _document(v.id) or MinutesDocument(version_id=v.id)
        document.status = DocumentStatus.READY
        document.pdf, document.sha256, document.size = signed.pdf, signed.sha256, signed.size
        document.signature_count = 2
        db.session.add(document)
    db.session.flush()  # the documents are written while the versions are submitted
    version.status = MinutesStatus.SUPERSEDED
    newer.status = MinutesStatus.APPROVED
    invitation = db.session.scalar(
        sa.select(Invitation).where(Invitation.meeting_id == world.meeting_id).limit(1)
    )
    db.session.commit()
    world.old_version_id, world.version_id = version.id, newer.id
    world.invitation_id = invitation.id
    return world


def test_secretariat_downloads_the_stored_bytes_under_a_telling_name(
    secretariat_client, approved, signed
):
    response = secretariat_client.get(f"/minutes/versions/{approved.version_id}/minutes.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data == signed.pdf
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment")
    assert "filename=un-country-network-on-migration-04-minutes-v2.pdf" in disposition

    old = secretariat_client.get(f"/minutes/versions/{approved.old_version_id}/minutes.pdf")
    assert old.status_code == 200
    assert (
        "un-country-network-on-migration-04-minutes-v1-superseded.pdf"
        in (old.headers["Content-Disposition"])
    )


def test_a_chair_downloads_and_a_member_who_is_not_a_chair_is_refused(
    client, approved, signed, member_client
):
    url = f"/minutes/versions/{approved.version_id}/minutes.pdf"
    assert member_client.get(url).status_code == 403
    chair = _chair_client(client, approved.chair_ids[1])
    response = chair.get(url)
    assert response.status_code == 200 and response.data == signed.pdf


def test_a_version_not_yet_approved_has_no_download(secretariat_client, ready_for_signing):
    # Submitted and rendered, but not approved. (An approved version cannot be turned
    # back: the database refuses it.)
    url = f"/minutes/versions/{ready_for_signing.version_id}/minutes.pdf"
    assert _document(ready_for_signing.version_id).status is DocumentStatus.READY
    assert secretariat_client.get(url).status_code == 404
    assert secretariat_client.get("/minutes/versions/999999/minutes.pdf").status_code == 404


def test_an_invitee_downloads_with_their_link_and_nobody_else(client, approved, signed):
    from coordapp.links import rsvp_token

    invitation = db.session.get(Invitation, approved.invitation_id)
    token = rsvp_token(invitation)
    url = f"/rsvp/{token}/minutes/{approved.version_id}.pdf"

    response = client.get(url)
    assert response.status_code == 200 and response.data == signed.pdf
    assert response.headers["Cache-Control"] == "private, no-store"

    # Their RSVP page lists the approved versions for them.
    listing = client.get(f"/rsvp/{token}").get_data(as_text=True)
    assert url in listing and "version 2" in listing and "superseded" in listing

    assert client.get(f"/rsvp/x/minutes/{approved.version_id}.pdf").status_code == 404
    other = build_submitted_minutes(tag="-other")
    assert client.get(f"/rsvp/{token}/minutes/{other.version_id}.pdf").status_code == 404

    invitation.withdrawn_at = datetime.now(UTC)
    db.session.commit()
    assert client.get(url).status_code == 410


def app_request_context():
    from flask import current_app

    return current_app.test_request_context("/")


def test_versions_without_a_ready_pdf_are_not_offered_for_download(app):
    """Only versions with a READY document are offered for download."""
    world = build_submitted_minutes()
    version = db.session.get(MinutesVersion, world.version_id)
    version.status = MinutesStatus.APPROVED
    db.session.commit()
    assert pdf_signing.downloadable_versions(db.session.get(Meeting, world.meeting_id)) == []
    assert pdf_signing.downloadable_document(version) is None


# --- leases: a worker that died mid-job ---------------------------------------------------

LONG_AGO = timedelta(hours=1)  # far beyond JOB_LEASE_SECONDS


def _version_page(client, user_id: int, version_id: int) -> str:
    login_as(client, db.session.get(User, user_id))
    return client.get(f"/minutes/versions/{version_id}").get_data(as_text=True)


def test_a_signature_whose_worker_died_is_queued_again_once_its_lease_ran_out(
    app, client, ready_for_signing
):
    """The worker took the signing job and was killed: the approval stays PENDING. While
    its lease runs, nothing is queued again; once it ran out, the sweep queues it, and the
    chair meanwhile sees "Try again"."""
    init_ca()
    db.session.commit()
    world = ready_for_signing
    chair_id = world.chair_ids[0]
    retry_url = f"/minutes/approvals/{world.approval_id}/retry-signature"

    # Within the lease: a job is (or may be) running; nothing to retry, nothing re-queued.
    assert retry_url not in _version_page(client, chair_id, world.version_id)
    assert pdf_tasks.requeue_expired() == ([], [])
    client.post(retry_url)
    assert db.session.get(MinutesApproval, world.approval_id).status is SignatureStatus.PENDING

    approval = db.session.get(MinutesApproval, world.approval_id)
    approval.claimed_at = datetime.now(UTC) - LONG_AGO  # the worker died an hour ago
    db.session.commit()
    page = _version_page(client, chair_id, world.version_id)
    assert retry_url in page and "may have stopped" in page

    assert pdf_tasks.requeue_expired() == ([], [world.approval_id])  # signed at once here

    db.session.expire_all()
    approval = db.session.get(MinutesApproval, world.approval_id)
    assert approval.status is SignatureStatus.SIGNED
    assert _document(world.version_id).signature_count == 1
    assert pdf_tasks.requeue_expired() == ([], [])


def test_a_rendering_whose_worker_died_can_be_retried_and_is_queued_again_once(
    app, secretariat_client, monkeypatch
):
    rendered = []
    monkeypatch.setattr(pdf_tasks, "render_minutes_pdf", rendered.append)
    world = build_submitted_minutes()
    document = _document(world.version_id)
    assert document.status is DocumentStatus.PENDING and document.claimed_at is not None
    version_url = f"/minutes/versions/{world.version_id}"
    retry_url = f"/minutes/versions/{world.version_id}/pdf/retry"

    # Freshly queued: "being prepared", no retry.
    page = secretariat_client.get(version_url).get_data(as_text=True)
    assert "being prepared" in page and retry_url not in page
    secretariat_client.post(retry_url)
    assert rendered == [] and pdf_tasks.requeue_expired() == ([], [])

    document.claimed_at = datetime.now(UTC) - LONG_AGO
    db.session.commit()
    page = secretariat_client.get(version_url).get_data(as_text=True)
    assert retry_url in page and "may have stopped" in page

    secretariat_client.post(retry_url)
    assert rendered == [world.version_id]
    # The retry renewed the lease: a second click and the sweep queue nothing more.
    secretariat_client.post(retry_url)
    assert pdf_tasks.requeue_expired() == ([], [])
    assert rendered == [world.version_id]

    # Had nobody clicked, the sweep would have queued it, once however often it runs.
    document = _document(world.version_id)
    document.claimed_at = datetime.now(UTC) - LONG_AGO
    db.session.commit()
    assert pdf_tasks.requeue_expired() == ([world.version_id], [])
    assert pdf_tasks.requeue_expired() == ([], [])
    assert rendered == [world.version_id] * 2
