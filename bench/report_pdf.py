"""Time the periodic report's PDF the way the worker makes it, against a bare WeasyPrint
render of the same HTML.

    .venv/bin/python bench/report_pdf.py [commitments] [meetings]

Builds, in a temporary SQLite database (bulk inserts), a series with 12 held meetings
(default) over one year, 40 organisations, 30 people present at each meeting, and 1,000
commitments (default) with one or two organisations and SDGs each, in every status. Then:

(a) bare: the report's HTML (built before the clock starts, by the worker's own
    `report_pdf_html`) through WeasyPrint with its defaults: its own URL fetcher and the
    system's font configuration, the same stylesheet and fonts (loaded from the static
    folder as file: URLs), nothing stored;
(b) worker: the job `render_report_pdf(document_id)` in immediate mode: builds the report
    (its queries), renders the HTML, lays it out through the restricted fetcher and the
    isolated font configuration, and stores the bytes.

A warm-up render first pays what a worker pays once (importing WeasyPrint, loading the
fonts); it is printed, not counted. Each timing is the best of two, in wall-clock and
in CPU seconds (the CPU ratio holds up better on a busy machine). The last line is
machine-readable:

    worker_s=4.10 bare_s=3.60 pages=31 ratio=1.14 cpu_ratio=1.05
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from io import BytesIO
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402
from flask import render_template_string  # noqa: E402

from coordapp import create_app  # noqa: E402
from coordapp.extensions import db  # noqa: E402
from coordapp.models import (  # noqa: E402
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
    MeetingStatus,
    Organisation,
    ReportDocument,
    Series,
)
from coordapp.models.commitment import commitment_organisations  # noqa: E402
from coordapp.pdf.fetcher import ASSET_BASE_URL, STATIC_FOLDER  # noqa: E402

COMMITMENTS = 1000
MEETINGS = 12
ORGANISATIONS = 40
PRESENT = 30
YEAR = 2025


def build(commitments: int, meetings: int) -> int:
    """The series, its meetings, attendance and commitments; returns the series id."""
    series = Series(name="Country Network on Migration · Сетка па міграцыі")
    db.session.add(series)
    categories = list(Category)
    organisations = [
        Organisation(
            name=f"Міністэрства {n} / Organisation {n}",
            acronym=f"ORG{n}",
            category=categories[n % len(categories)],
        )
        for n in range(ORGANISATIONS)
    ]
    db.session.add_all(organisations)
    db.session.flush()
    contacts = [
        Contact(
            name=f"Удзельнік {n}",
            email=f"person{n}@example.org",
            organisation=organisations[n % ORGANISATIONS],
        )
        for n in range(PRESENT)
    ]
    db.session.add_all(contacts)
    rows = []
    for n in range(meetings):
        starts = datetime(YEAR, 1 + n % 12, 10, 7, 0, tzinfo=UTC)
        rows.append(
            {
                "title": f"Meeting {n + 1} of the network / Пасяджэнне {n + 1}",
                "series_id": series.id,
                "number": n + 1,
                "kind": "regular",
                "starts_at": starts,
                "ends_at": starts + timedelta(hours=3),
                "timezone": "Europe/Minsk",
                "language": "en",
                "status": MeetingStatus.HELD.value,
            }
        )
    db.session.flush()
    db.session.execute(sa.insert(Meeting), rows)
    meeting_ids = db.session.scalars(
        sa.select(Meeting.id).where(Meeting.series_id == series.id).order_by(Meeting.id)
    ).all()
    db.session.execute(
        sa.insert(Invitation),
        [
            {
                "meeting_id": meeting_id,
                "contact_id": contact.id,
                "status": InvitationStatus.ACCEPTED.value,
                "attendance": Attendance.PRESENT.value,
                "link_id": f"{meeting_id:08x}{contact.id:024x}",
            }
            for meeting_id in meeting_ids
            for contact in contacts
        ],
    )
    statuses = list(CommitmentStatus)
    commitment_rows = [
        {
            "id": n + 1,
            "meeting_id": meeting_ids[n % len(meeting_ids)],
            "description": (
                f"Commitment {n + 1}: mainstream migration in local development plans and "
                "publish a migration data dashboard (Аддзел статыстыкі міграцыі)."
            ),
            "status": statuses[n % len(statuses)].value,
            "due_date": date(YEAR, 1 + n % 12, 28),
            "link_id": f"{n + 1:032x}",
        }
        for n in range(commitments)
    ]
    db.session.execute(sa.insert(Commitment), commitment_rows)
    db.session.execute(
        sa.insert(commitment_organisations),
        [
            {"commitment_id": row["id"], "organisation_id": organisations[k].id}
            for n, row in enumerate(commitment_rows)
            for k in {n % ORGANISATIONS, (n * 7 + 3) % ORGANISATIONS}
        ],
    )
    db.session.execute(
        sa.insert(CommitmentSDG),
        [
            {"commitment_id": row["id"], "goal": goal}
            for n, row in enumerate(commitment_rows)
            for goal in {1 + n % 17, 10}
        ],
    )
    db.session.commit()
    return series.id


def bare_render(html: str) -> bytes:
    """WeasyPrint with its defaults; the stylesheet and fonts as plain file: URLs."""
    from weasyprint import HTML

    html = html.replace(ASSET_BASE_URL, STATIC_FOLDER.as_uri() + "/")
    return HTML(string=html, base_url=STATIC_FOLDER.as_uri() + "/").write_pdf()


def page_count(pdf: bytes) -> int:
    from pyhanko.pdf_utils.reader import PdfFileReader

    return int(PdfFileReader(BytesIO(pdf)).root["/Pages"]["/Count"])


def main(commitments: int, meetings: int) -> int:
    workdir = Path(tempfile.mkdtemp(prefix="coordapp-bench-"))
    try:
        return run(workdir, commitments, meetings)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def run(workdir: Path, commitments: int, meetings: int) -> int:
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
        from coordapp.reports.tasks import render_report_pdf, report_pdf_html

        Base.metadata.create_all(db.engine)
        started = time.perf_counter()
        series_id = build(commitments, meetings)
        print(
            f"built: {meetings} meetings, {commitments} commitments, "
            f"{meetings * PRESENT} attendances in {time.perf_counter() - started:.2f} s"
        )

        started = time.perf_counter()
        bare_render(
            render_template_string(
                '{% extends "pdf/base.html" %}{% block content %}<p>Аляксандр</p>{% endblock %}',
                network_name="Warm-up",
                title="Warm-up",
            )
        )
        print(f"warm-up, WeasyPrint import and fonts: {time.perf_counter() - started:.2f} s")

        def new_document() -> int:
            document = ReportDocument(
                series_id=series_id,
                period_start=date(YEAR, 1, 1),
                period_end=date(YEAR, 12, 31),
                language="be",
                filename="report.pdf",
            )
            db.session.add(document)
            db.session.commit()
            return document.id

        started = time.perf_counter()
        html = report_pdf_html(db.session.get(ReportDocument, new_document()))
        print(f"report HTML: {len(html)} characters in {time.perf_counter() - started:.2f} s")
        db.session.rollback()

        bare_times, worker_times, bare_cpu, worker_cpu = [], [], [], []
        for _ in range(2):
            started, cpu = time.perf_counter(), time.process_time()
            bare_pdf = bare_render(html)
            bare_times.append(time.perf_counter() - started)
            bare_cpu.append(time.process_time() - cpu)

            document_id = new_document()
            started, cpu = time.perf_counter(), time.process_time()
            render_report_pdf(document_id)
            worker_times.append(time.perf_counter() - started)
            worker_cpu.append(time.process_time() - cpu)
            db.session.expire_all()
            document = db.session.get(ReportDocument, document_id)
            if document.status is not DocumentStatus.READY:
                print(f"the worker's render failed: {document.error}", file=sys.stderr)
                return 1
        bare_s, worker_s = min(bare_times), min(worker_times)
        pages = page_count(document.data)
        print(
            f"(a) bare WeasyPrint: {bare_s:.2f} s ({min(bare_cpu):.2f} s CPU), "
            f"{page_count(bare_pdf)} pages"
        )
        print(
            f"(b) worker job: {worker_s:.2f} s ({min(worker_cpu):.2f} s CPU), {pages} pages, "
            f"{document.size} bytes"
        )
    ratio = worker_s / bare_s
    cpu_ratio = min(worker_cpu) / min(bare_cpu)
    print(
        f"worker_s={worker_s:.2f} bare_s={bare_s:.2f} pages={pages} ratio={ratio:.2f} "
        f"cpu_ratio={cpu_ratio:.2f}"
    )
    return 0


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:3]]
    sys.exit(main(*(args + [COMMITMENTS, MEETINGS][len(args) :])))
