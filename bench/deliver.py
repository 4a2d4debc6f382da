"""Delivering queued invitations (issue #23: >= 100 messages/s with two workers).

    .venv/bin/python bench/deliver.py                       # SQLite in a temp dir
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench \
        .venv/bin/python bench/deliver.py

Invites INVITEES contacts (default 2,000; English, Russian and Belarusian in turn) to one
meeting through the invite service, then has WORKERS (default 2) processes run the
worker's own delivery function side by side until nothing is due, to a loopback SMTP
server. Last line: the rate over the whole run (process start included), the CPU each
worker process spent per message, and the database.

PROFILE=1: one process, in this one, under cProfile; prints the functions that took the
most time (cumulative) and the CPU per message. PROFILE=workers: the worker processes
under cProfile, side by side (where their wall time goes while the other one runs).
The figures to compare between changes are the per-message CPU and the SQL statements
per message, not the wall time: other programs share the machine.
"""

from __future__ import annotations

import cProfile
import multiprocessing
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import sqlalchemy as sa  # noqa: E402
from _invitees import add_invitees, add_meeting, add_secretariat  # noqa: E402

from coordapp import create_app  # noqa: E402
from coordapp.extensions import db  # noqa: E402
from coordapp.models import Base, Contact, MessageStatus, OutgoingMessage  # noqa: E402
from tests.smtp import SMTPServer  # noqa: E402

INVITEES = int(os.environ.get("INVITEES", 2000))
WORKERS = int(os.environ.get("WORKERS", 2))
PROFILE = os.environ.get("PROFILE") == "1"
# PROFILE=workers: the worker processes run under cProfile (wall time, side by side).
WORKER_PROFILES = os.environ.get("PROFILE") == "workers"


def _config(url: str, smtp: SMTPServer) -> dict:
    return {
        "SQLALCHEMY_DATABASE_URI": url,
        "SECRET_KEY": "bench-secret-key-0123456789abcdef0123456789",
        "MAIL_DELIVER_AFTER_COMMIT": False,
        "MAIL_SERVER": smtp.host,
        "MAIL_PORT": smtp.port,
        "MAIL_TIMEOUT": 30,
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
    }


class _Statements:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, *args) -> None:
        self.count += 1


def _deliver_all(app) -> tuple[int, int]:
    """Run the delivery function until nothing is due: (sent, SQL statements)."""
    from coordapp.mail.delivery import deliver_due_messages
    from coordapp.mail.tasks import RUN_LIMIT  # messages per run, as the worker's job asks

    statements = _Statements()
    with app.app_context():
        sa.event.listen(db.engine, "before_cursor_execute", statements)
        sent = 0
        while True:
            summary = deliver_due_messages(limit=RUN_LIMIT)
            db.session.remove()
            sent += summary.get("sent", 0)
            if not any(summary.get(key) for key in ("sent", "retrying", "failed", "skipped")):
                break
    return sent, statements.count


def _worker(config: dict, done: multiprocessing.Queue, profile_to: str | None = None) -> None:
    app = create_app(config)
    began = time.process_time()
    profiler = cProfile.Profile() if profile_to else None
    if profiler:
        profiler.enable()
    sent, statements = _deliver_all(app)
    if profiler:
        profiler.disable()
        profiler.dump_stats(profile_to)
    done.put((sent, statements, time.process_time() - began))


def _set_up(app) -> None:
    from coordapp.invitations.invite import invite_contacts

    with app.app_context():
        Base.metadata.drop_all(db.engine)
        Base.metadata.create_all(db.engine)
        user = add_secretariat()
        organisation = add_invitees(INVITEES)
        meeting = add_meeting("Delivery bench")
        db.session.flush()
        languages = ("en", "ru", "be")
        contacts = list(
            db.session.scalars(sa.select(Contact).where(Contact.organisation_id == organisation.id))
        )
        for n, contact in enumerate(contacts):
            contact.language = languages[n % 3]
        invite_contacts(meeting, contacts, by=user)
        db.session.commit()
        db.session.remove()


def main() -> int:
    workdir = Path(tempfile.mkdtemp(prefix="coordapp-deliver-"))
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{workdir / 'bench.sqlite'}"
    engine = url.split(":", 1)[0].split("+")[0]
    smtp = SMTPServer().start()
    config = _config(url, smtp)
    app = create_app(config)
    _set_up(app)
    print(f"set up on {engine}: {INVITEES} invitations queued")

    if PROFILE:
        profiler = cProfile.Profile()
        began, cpu = time.perf_counter(), time.process_time()
        profiler.enable()
        sent, statements = _deliver_all(app)
        profiler.disable()
        elapsed, cpu = time.perf_counter() - began, time.process_time() - cpu
        profiler.dump_stats(workdir / "deliver.prof")
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)
        print(f"profile: {workdir / 'deliver.prof'}")
        per_worker = [(sent, statements, cpu)]
        workers = 1
    else:
        context = multiprocessing.get_context("spawn")
        done = context.Queue()
        profiles = [
            str(workdir / f"worker{n}.prof") if WORKER_PROFILES else None for n in range(WORKERS)
        ]
        processes = [
            context.Process(target=_worker, args=(config, done, profile)) for profile in profiles
        ]
        began = time.perf_counter()
        for process in processes:
            process.start()
        per_worker = [done.get(timeout=3600) for _ in processes]
        elapsed = time.perf_counter() - began
        for process in processes:
            process.join()
        workers = WORKERS
        if WORKER_PROFILES:
            pstats.Stats(profiles[0]).sort_stats("cumulative").print_stats(45)
            print(f"profiles: {profiles}")
    smtp.stop()

    received = len(smtp.handler.raw)
    sent = sum(s for s, _, _ in per_worker)
    statements = sum(q for _, q, _ in per_worker)
    cpu = sum(c for _, _, c in per_worker)
    with app.app_context():
        left = db.session.scalar(
            sa.select(sa.func.count(OutgoingMessage.id)).where(
                OutgoingMessage.status != MessageStatus.SENT
            )
        )
    print(
        f"database={engine} workers={workers} invitations={INVITEES} sent={sent} "
        f"received={received} not_sent={left} seconds={elapsed:.1f} "
        f"per_s={received / elapsed:.0f} cpu_ms_per_message={1000 * cpu / max(sent, 1):.1f} "
        f"sql_per_message={statements / max(sent, 1):.2f} "
        f"load={os.getloadavg()[0]:.1f}"
    )
    return 0 if received == INVITEES and left == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
