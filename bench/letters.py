"""Asking 200 organisations to nominate: the secretariat's one request, then the worker
rendering the 200 official letters, against a bare WeasyPrint render of the same HTML.

    .venv/bin/python bench/letters.py [organisations] [--request-only]

Builds, in a temporary SQLite database, a meeting with two chairs and an agenda, and
200 organisations (default) of one category, each with a focal point, in Russian and
Belarusian alternately. Then:

(1) request: POST /meetings/<id>/nominations/new choosing the category: writes the 200
    requests, their 200 stored letters (PENDING) and 200 emails, and queues 200 render
    jobs (into a huey SQLite file: no worker runs). Must be under 1 s.
(2) bare: each letter's HTML (built before the clock starts, by the worker's own
    `letters.letter_html`) through WeasyPrint with its defaults (its own fetcher, the
    system font configuration, the stylesheet and fonts as file: URLs), nothing stored;
(3) worker: the job `render_nomination_letter(document_id)` run in this process for
    each letter: loads the request, builds the HTML (QR code included), renders through
    the restricted fetcher and isolated fonts, stores the bytes.

A warm-up render is not counted. The last line is machine-readable:

    organisations=200 request_s=0.45 worker_s=30.1 bare_s=27.9 ratio=1.08 cpu_ratio=1.03
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402
from flask import render_template_string  # noqa: E402

from coordapp import create_app  # noqa: E402
from coordapp.extensions import db  # noqa: E402
from coordapp.models import (  # noqa: E402
    AgendaItem,
    Base,
    Category,
    Contact,
    DocumentStatus,
    Meeting,
    MeetingChair,
    MeetingStatus,
    NominationLetter,
    NominationRequest,
    Organisation,
    OutgoingMessage,
    Role,
    User,
)
from coordapp.pdf.fetcher import ASSET_BASE_URL, STATIC_FOLDER  # noqa: E402
from tests.conftest import login_as  # noqa: E402

ORGANISATIONS = 200


def build(organisations: int) -> tuple[int, User]:
    secretariat = User(email="bench@example.org", name="Bench Secretariat", role=Role.SECRETARIAT)
    secretariat.set_password("bench-password")
    chairs = [
        User(email=f"chair{n}@example.org", name=f"Старшыня {n}", role=Role.MEMBER)
        for n in range(2)
    ]
    for chair in chairs:
        chair.set_password("bench-password")
    db.session.add_all([secretariat, *chairs])
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=30)
    meeting = Meeting(
        title="Четвёртое расширенное заседание / Чацвёртае пашыранае пасяджэнне",
        starts_at=start,
        ends_at=start + timedelta(hours=3),
        timezone="Europe/Minsk",
        venue="UN House, Minsk",
        online_url="https://meet.example.org/cnm4",
        status=MeetingStatus.SCHEDULED,
        rsvp_deadline=start - timedelta(days=7),
    )
    db.session.add(meeting)
    db.session.flush()
    for n, chair in enumerate(chairs):
        meeting.chairs.append(MeetingChair(user=chair, position=n, role_label="Co-chair"))
    for n in range(6):
        db.session.add(AgendaItem(meeting_id=meeting.id, title=f"Пункт {n + 1}", position=n))
    db.session.flush()
    db.session.execute(
        sa.insert(Organisation),
        [
            {
                "name": f"Районный исполнительный комитет {n} / Раённы выканаўчы камітэт {n}",
                "category": Category.LOCAL_GOVERNMENT.value,
                "language": "ru" if n % 2 else "be",
                "head_name": f"Кіраўнік {n}",
                "head_title": "Старшыня райвыканкама",
                "active": True,
                "created_at": start,
            }
            for n in range(organisations)
        ],
    )
    ids = db.session.scalars(sa.select(Organisation.id).order_by(Organisation.id)).all()
    db.session.execute(
        sa.insert(Contact),
        [
            {
                "name": f"Focal point {n}",
                "email": f"focal{n}@example.org",
                "organisation_id": organisation_id,
                "language": "ru",
                "focal_point": True,
                "active": True,
                "created_at": start,
            }
            for n, organisation_id in enumerate(ids)
        ],
    )
    db.session.commit()
    return meeting.id, secretariat


def bare_render(html: str) -> bytes:
    """WeasyPrint with its defaults; the stylesheet and fonts as plain file: URLs."""
    from weasyprint import HTML

    html = html.replace(ASSET_BASE_URL, STATIC_FOLDER.as_uri() + "/")
    return HTML(string=html, base_url=STATIC_FOLDER.as_uri() + "/").write_pdf()


def main(organisations: int, request_only: bool = False) -> int:
    workdir = Path(tempfile.mkdtemp(prefix="coordapp-bench-"))
    try:
        return run(workdir, organisations, request_only)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def run(workdir: Path, organisations: int, request_only: bool) -> int:
    app = create_app(
        {
            "SECRET_KEY": "bench-secret-key-that-is-long-enough-0123456789",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir / 'bench.sqlite'}",
            "HUEY_SQLITE_PATH": str(workdir / "huey.sqlite"),
            "WTF_CSRF_ENABLED": False,
            "MAIL_DELIVER_AFTER_COMMIT": False,
            "MAIL_FILE_DIR": str(workdir / "mail"),
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        }
    )
    with app.app_context():
        from coordapp.nominations import letters
        from coordapp.nominations.tasks import render_nomination_letter

        Base.metadata.create_all(db.engine)
        meeting_id, secretariat = build(organisations)
        client = app.test_client()
        login_as(client, secretariat)
        client.get(f"/meetings/{meeting_id}/nominations/new")  # imports, templates

        began = time.perf_counter()
        response = client.post(
            f"/meetings/{meeting_id}/nominations/new",
            data={"categories": Category.LOCAL_GOVERNMENT.value, "places": "2"},
        )
        request_s = time.perf_counter() - began
        if response.status_code not in (302, 303):
            print(response.get_data(as_text=True)[:2000], file=sys.stderr)
            return 1
        asked = db.session.scalar(sa.select(sa.func.count(NominationRequest.id)))
        queued = db.session.scalar(sa.select(sa.func.count(OutgoingMessage.id)))
        print(f"(1) request: {request_s:.3f} s for {asked} requests, {queued} emails queued")
        if request_only:
            print(f"organisations={organisations} request_s={request_s:.3f}")
            return 0

        started = time.perf_counter()
        bare_render(
            render_template_string(
                '{% extends "pdf/base.html" %}{% block content %}<p>Аляксандр</p>{% endblock %}',
                network_name="Warm-up",
                title="Warm-up",
            )
        )
        print(f"warm-up, WeasyPrint import and fonts: {time.perf_counter() - started:.2f} s")

        rows = db.session.execute(
            sa.select(NominationRequest.id, NominationRequest.letter_document_id).order_by(
                NominationRequest.id
            )
        ).all()
        with app.test_request_context():
            htmls = [letters.letter_html(letters.load(nomination_id)) for nomination_id, _ in rows]
        db.session.rollback()

        started, cpu = time.perf_counter(), time.process_time()
        for html in htmls:
            bare_render(html)
        bare_s, bare_cpu = time.perf_counter() - started, time.process_time() - cpu
        print(f"(2) bare WeasyPrint: {bare_s:.2f} s ({bare_cpu:.2f} s CPU) for {len(htmls)}")

        started, cpu = time.perf_counter(), time.process_time()
        for _, document_id in rows:
            render_nomination_letter.call_local(document_id)
        worker_s, worker_cpu = time.perf_counter() - started, time.process_time() - cpu
        ready = db.session.scalar(
            sa.select(sa.func.count(NominationLetter.id)).where(
                NominationLetter.status == DocumentStatus.READY
            )
        )
        print(f"(3) worker jobs: {worker_s:.2f} s ({worker_cpu:.2f} s CPU), {ready} ready")
        if ready != len(rows):
            print("some letters failed", file=sys.stderr)
            return 1
    ratio = worker_s / bare_s
    cpu_ratio = worker_cpu / bare_cpu
    print(
        f"organisations={organisations} request_s={request_s:.3f} worker_s={worker_s:.2f} "
        f"bare_s={bare_s:.2f} ratio={ratio:.2f} cpu_ratio={cpu_ratio:.2f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(
        main(
            int(sys.argv[1]) if len(sys.argv) > 1 else ORGANISATIONS,
            request_only="--request-only" in sys.argv,
        )
    )
