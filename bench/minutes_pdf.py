"""Time the signed minutes PDF of a large meeting: the bare WeasyPrint render of its HTML
against the app's full path (render + signature fields + two chair signatures + storage).

    .venv/bin/python bench/minutes_pdf.py

Builds, in a temporary SQLite database, a meeting with 200 invitees (attendance taken),
50 agenda items with a paragraph or two of minutes and 1-2 decisions each, 100 commitments
with organisations and SDGs, and 2 chairs; creates the signing CA and issues both chairs'
certificates up front (issuing an RSA certificate happens once per chair, not per
document, and is timed and printed separately). Then, in the same run:

(a) bare: the HTML from `minutes_html(version)` (built before the clock starts) through
    WeasyPrint's `HTML(...).write_pdf()`, with the app's fetcher and fonts;
(b) full: the worker's jobs in immediate mode: `render_minutes_pdf(version_id)`, which
    renders, adds the signature fields, stores the bytes and sends both pending chair
    approvals on to `sign_approval`.

Warm-ups first pay what a worker process pays once (importing WeasyPrint and loading its
fonts, preparing the signature stamp's font); they are printed, not counted. Peak memory
is the process's maximum resident set size (ru_maxrss). The last line is machine-readable:

    bare_render_s=12.34 full_path_s=13.20 pages=19 peak_rss_mb=310 ratio=1.07
"""

from __future__ import annotations

import resource
import shutil
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from io import BytesIO
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask import render_template_string  # noqa: E402

from coordapp import create_app  # noqa: E402
from coordapp.extensions import db  # noqa: E402
from coordapp.models import (  # noqa: E402
    AgendaItem,
    AgendaItemKind,
    AgendaItemPresenter,
    Attendance,
    Base,
    Category,
    Commitment,
    CommitmentSDG,
    CommitmentStatus,
    Contact,
    DocumentStatus,
    Invitation,
    InvitationStatus,
    Meeting,
    MeetingChair,
    MeetingKind,
    MeetingStatus,
    MinutesApproval,
    MinutesDocument,
    MinutesItem,
    MinutesStatus,
    MinutesVersion,
    Organisation,
    Role,
    Series,
    SignatureStatus,
    User,
)

INVITEES = 200
AGENDA_ITEMS = 50
COMMITMENTS = 100

MINUTES_TEXT = (
    "The **Ministry of Labour and Social Protection** presented the draft national policy on "
    "labour migration. Partners welcomed the inclusion of returning migrants and asked for "
    "clearer indicators; Аляксандра Шчаглова (Belstat) offered to align the definitions "
    "with the census.\n\n"
    "In the discussion, local authorities of Гродна and Брэст described their one-stop "
    "centres, and civil society organisations stressed access to health care for migrants "
    "in an irregular situation. *Development partners* confirmed funding for 2027:\n\n"
    "- a pilot of the migration data dashboard;\n"
    "- training for 120 local officials;\n"
    "- a study on remittances and local development."
)
DECISIONS = [
    "The network endorses the draft policy, with the indicators proposed by the statistics office.",
    "The secretariat will circulate the revised terms of reference by 15 April.",
]
CATEGORIES = list(Category)
KINDS = [
    AgendaItemKind.OPENING,
    AgendaItemKind.PRESENTATION,
    AgendaItemKind.DISCUSSION,
    AgendaItemKind.DECISION,
    AgendaItemKind.AOB,
]


def peak_rss_mb() -> float:
    # Linux reports kilobytes.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def build_meeting() -> tuple[int, list[int]]:
    """The large meeting, its submitted minutes and two pending chair approvals."""
    organisations = [
        Organisation(
            name=f"Міністэрства {n} / Organisation {n}",
            acronym=f"ORG{n}",
            category=CATEGORIES[n % len(CATEGORIES)],
        )
        for n in range(40)
    ]
    db.session.add_all(organisations)
    chairs = [
        User(email="chair1@example.org", name="Алесь Чарнавус", role=Role.MEMBER),
        User(email="chair2@example.org", name="Jane Roe", role=Role.MEMBER),
    ]
    for chair in chairs:
        chair.set_password("correct horse battery staple")
    db.session.add_all(chairs)
    series = Series(name="Country Network on Migration")
    starts_at = datetime(2027, 3, 4, 7, 0, tzinfo=UTC)
    meeting = Meeting(
        title="Fourth extended meeting of the Country Network on Migration",
        series=series,
        number=4,
        kind=MeetingKind.REGULAR,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=8),
        timezone="Europe/Minsk",
        venue="UN House, 17 Kirov Street, Minsk",
        status=MeetingStatus.HELD,
    )
    for position, (chair, label) in enumerate(
        zip(
            chairs,
            ["Co-chair, UN Resident Coordinator", "Co-chair, IOM Chief of Mission"],
            strict=True,
        )
    ):
        meeting.chairs.append(MeetingChair(user=chair, role_label=label, position=position))
    db.session.add(meeting)

    contacts = [
        Contact(
            name=f"Участнік {n} Participant",
            email=f"person{n}@example.org",
            position="Head of unit",
            organisation=organisations[n % len(organisations)],
        )
        for n in range(INVITEES)
    ]
    db.session.add_all(contacts)
    for n, contact in enumerate(contacts):
        if n % 10 == 0:
            status, attendance = InvitationStatus.DECLINED, None
        elif n % 10 == 1:
            status, attendance = InvitationStatus.ACCEPTED, Attendance.EXCUSED
        elif n % 10 == 2:
            status, attendance = InvitationStatus.ACCEPTED, Attendance.ABSENT
        else:
            status, attendance = InvitationStatus.ACCEPTED, Attendance.PRESENT
        db.session.add(
            Invitation(meeting=meeting, contact=contact, status=status, attendance=attendance)
        )

    items = []
    for n in range(AGENDA_ITEMS):
        item = AgendaItem(
            meeting=meeting,
            position=n,
            title=f"{n + 1}. Migration data and the national policy, part {n + 1}",
            description="Presentation followed by a discussion.",
            kind=KINDS[n % len(KINDS)],
            duration_minutes=10,
        )
        item.presenters.append(AgendaItemPresenter(contact=contacts[n], position=0))
        items.append(item)
    db.session.add_all(items)

    version = MinutesVersion(
        meeting=meeting,
        number=1,
        status=MinutesStatus.SUBMITTED,
        submitted_at=datetime.now(UTC),
        opening_summary="The co-chairs opened the meeting and welcomed the new members.",
        closing_summary="The co-chairs thanked the partners; the next meeting is in June.",
        next_meeting_date=date(2027, 6, 10),
    )
    db.session.add(version)
    for n, item in enumerate(items):
        text = MINUTES_TEXT if n % 2 else MINUTES_TEXT.split("\n\n")[0]
        db.session.add(
            MinutesItem(
                version=version,
                agenda_item=item,
                text=text,
                decisions=DECISIONS[: 1 + n % 2],
            )
        )

    statuses = list(CommitmentStatus)
    for n in range(COMMITMENTS):
        commitment = Commitment(
            meeting=meeting,
            agenda_item=items[n % len(items)],
            description=(
                f"Commitment {n + 1}: mainstream migration in local development plans and "
                "publish a migration data dashboard (Аддзел статыстыкі міграцыі)."
            ),
            responsible=contacts[n],
            due_date=date(2027, 6, 30),
            status=statuses[n % len(statuses)],
        )
        commitment.organisations = [
            organisations[n % len(organisations)],
            organisations[(n + 7) % len(organisations)],
        ][: 1 + n % 2]
        commitment.sdgs = [CommitmentSDG(goal=10), CommitmentSDG(goal=17)][: 1 + n % 2]
        db.session.add(commitment)

    db.session.flush()
    approvals = [
        MinutesApproval(
            version=version,
            user=chair,
            role_label=chair_row.role_label,
            position=chair_row.position,
            status=SignatureStatus.PENDING,
        )
        for chair, chair_row in zip(chairs, meeting.chairs, strict=True)
    ]
    db.session.add_all(approvals)
    db.session.commit()
    return version.id, [chair.id for chair in chairs]


def page_count(pdf: bytes) -> int:
    from pyhanko.pdf_utils.reader import PdfFileReader

    return int(PdfFileReader(BytesIO(pdf)).root["/Pages"]["/Count"])


def bare_render(html: str) -> bytes:
    from weasyprint import HTML

    from coordapp.pdf.fetcher import ASSET_BASE_URL, SafeURLFetcher
    from coordapp.pdf.fonts import IsolatedFontConfiguration

    document = HTML(string=html, base_url=ASSET_BASE_URL, url_fetcher=SafeURLFetcher())
    return document.write_pdf(font_config=IsolatedFontConfiguration())


def main() -> int:
    workdir = Path(tempfile.mkdtemp(prefix="coordapp-bench-"))
    try:
        return run(workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def run(workdir: Path) -> int:
    app = create_app(
        {
            "SECRET_KEY": "bench-secret-key-that-is-long-enough-0123456789",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir / 'bench.sqlite'}",
            "HUEY_IMMEDIATE": True,
            "MAIL_DELIVER_AFTER_COMMIT": False,
            "MAIL_FILE_DIR": str(workdir / "mail"),
            "SERVER_NAME": None,
        }
    )
    with app.app_context():
        from coordapp.minutes_pdf.render import minutes_html
        from coordapp.minutes_pdf.tasks import render_minutes_pdf
        from coordapp.signing.ca import init_ca, trust_roots
        from coordapp.signing.identities import identity_for
        from coordapp.signing.pdfsign import _prepared_font, _stamp_font
        from coordapp.signing.verify import verify_pdf

        Base.metadata.create_all(db.engine)
        started = time.perf_counter()
        version_id, chair_ids = build_meeting()
        print(
            f"built the meeting: {INVITEES} invitees, {AGENDA_ITEMS} agenda items, "
            f"{COMMITMENTS} commitments in {time.perf_counter() - started:.2f} s"
        )
        init_ca("Bench network signing CA", "Bench network")
        db.session.commit()
        started = time.perf_counter()
        for chair_id in chair_ids:
            identity_for(db.session.get(User, chair_id))
        db.session.commit()
        print(
            f"issued 2 chair certificates (once per chair): {time.perf_counter() - started:.2f} s"
        )

        # One-time costs of a worker process, paid before either timing: importing
        # WeasyPrint and loading its fonts, and preparing the signature stamp's font.
        started = time.perf_counter()
        bare_render(
            render_template_string(
                '{% extends "pdf/base.html" %}{% block content %}<p>Аляксандр</p>{% endblock %}',
                network_name="Warm-up",
                title="Warm-up",
            )
        )
        print(f"warm-up, WeasyPrint import and fonts: {time.perf_counter() - started:.2f} s")
        started = time.perf_counter()
        _prepared_font(_stamp_font())
        print(f"warm-up, signature stamp font: {time.perf_counter() - started:.2f} s")

        version = db.session.get(MinutesVersion, version_id)
        started = time.perf_counter()
        html = minutes_html(version)
        print(f"minutes HTML: {len(html)} characters in {time.perf_counter() - started:.2f} s")
        db.session.rollback()  # end the read transaction before timing

        started = time.perf_counter()
        bare_pdf = bare_render(html)
        bare_s = time.perf_counter() - started
        pages = page_count(bare_pdf)
        print(f"(a) bare WeasyPrint render: {bare_s:.2f} s, {pages} pages, {len(bare_pdf)} bytes")

        started = time.perf_counter()
        render_minutes_pdf(version_id)
        full_s = time.perf_counter() - started

        db.session.expire_all()
        document = db.session.scalar(
            db.select(MinutesDocument).where(MinutesDocument.version_id == version_id)
        )
        approvals = db.session.scalars(
            db.select(MinutesApproval).where(MinutesApproval.version_id == version_id)
        ).all()
        if document is None or document.status is not DocumentStatus.READY:
            problems = [f"document: {document.error if document else 'missing'}"]
        else:
            problems = []
        problems += [
            f"approval of user {a.user_id}: {a.status.value} {a.error or ''}"
            for a in approvals
            if a.status is not SignatureStatus.SIGNED
        ]
        if problems:
            print("the full path did not complete:", *problems, sep="\n  ", file=sys.stderr)
            return 1
        signed_pdf = document.pdf
        report = verify_pdf(signed_pdf, trust_roots())
        print(
            f"(b) full path (render + fields + 2 signatures + storage): {full_s:.2f} s, "
            f"{page_count(signed_pdf)} pages, {len(signed_pdf)} bytes, "
            f"{len(report.signatures)} signatures, authentic={report.authentic}"
        )
        if not report.authentic:
            print("the signed PDF does not verify", file=sys.stderr)
            return 1

    ratio = full_s / bare_s
    print(
        f"bare_render_s={bare_s:.2f} full_path_s={full_s:.2f} pages={pages} "
        f"peak_rss_mb={peak_rss_mb():.0f} ratio={ratio:.2f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
