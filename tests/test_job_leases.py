"""One lease for every background job (coordapp/jobs.py): a worker killed mid-job (kill -9)
stops renewing its lease, and once it ran out the sweep queues the job again and another
worker finishes it, once; a worker that is slow but alive keeps its lease.

Real processes, as in production: `huey_consumer` against a throw-away SQLite database
and SQLite queue configured by a `.env` file, with the shipped lease settings. The worker
that gets killed runs `tests.held_worker.huey`: the app's worker with test holds wrapped
around a few steps (nothing in the app knows), so the kill lands mid-job every time. The
fleet's other worker is the plain `coordapp.worker.huey` with its periodic jobs on.
"""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from huey import SqliteHuey

from coordapp.config import from_environment
from tests.smtp import SMTPServer
from tests.test_queue_processes import HUEY_CONSUMER, PROJECT_ROOT, _process_env, _write_dotenv

WAIT_SECONDS = 90

pytestmark = pytest.mark.processes

# A held meeting with one chair and one agenda item; its minutes version 1 submitted with
# the PENDING document submission creates; the rendering job queued.
SETUP_SCRIPT = """
from coordapp import create_app

app = create_app()

from datetime import UTC, datetime

from coordapp.extensions import db
from coordapp.minutes import service as minutes_service
from coordapp.minutes_pdf.tasks import render_minutes_pdf
from coordapp.models import Base, MeetingStatus, Role
from coordapp.models.agenda import AgendaItem, AgendaItemKind
from coordapp.models.approval import MinutesDocument
from coordapp.models.minutes import MinutesStatus
from tests.factories import make_meeting, make_user

with app.app_context():
    Base.metadata.create_all(db.engine)
    chair = make_user(Role.MEMBER, email="chair@example.org", name="Cleo Chair")
    meeting = make_meeting(status=MeetingStatus.HELD, chairs=[(chair, "Chair")])
    db.session.add(
        AgendaItem(
            meeting_id=meeting.id,
            position=0,
            title="Opening",
            kind=AgendaItemKind.DISCUSSION,
            duration_minutes=10,
        )
    )
    db.session.commit()
    version = minutes_service.current_version(meeting)
    version.status = MinutesStatus.SUBMITTED
    version.submitted_at = datetime.now(UTC)
    db.session.add(MinutesDocument(version_id=version.id))
    db.session.commit()
    render_minutes_pdf(version.id)  # queued for the worker
    print(version.id)
"""

# The periodic sweep, run once with the configured lease (still running: nothing to do),
# then as if the lease had run out.
SWEEP_SCRIPT = """
import json
import pickle

from coordapp import create_app

app = create_app()

from coordapp import tasks

with app.app_context():
    within_lease = tasks.requeue_stalled_jobs.call_local()
    app.config["JOB_LEASE_SECONDS"] = 0
    after_lease = tasks.requeue_stalled_jobs.call_local()
    print(json.dumps([within_lease, after_lease]))
"""


def _jobs_waiting(queue: SqliteHuey) -> list[str]:
    """The names of the jobs waiting in the queue to run now (the sweep also queues
    itself for later in the minute: those are left out)."""
    messages = [pickle.loads(raw) for raw in queue.storage.enqueued_items()]
    return [message.name.rsplit(".", 1)[-1] for message in messages if message.eta is None]


def _run(script: str, env: dict) -> str:
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def _start_worker(
    env: dict, log_path: Path, *, held: bool = False, periodic: bool = False
) -> subprocess.Popen:
    """A worker process; `held`: the one with test holds (tests/held_worker.py);
    `periodic`: with its periodic jobs (the lease sweep among them)."""
    module = "tests.held_worker.huey" if held else "coordapp.worker.huey"
    options = [] if periodic else ["--no-periodic"]
    with open(log_path, "a") as log:
        return subprocess.Popen(
            [str(HUEY_CONSUMER), module, "--workers", "1", *options],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def _stop(worker: subprocess.Popen) -> None:
    if worker.poll() is not None:
        return
    worker.terminate()
    try:
        worker.wait(timeout=10)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()


def _wait_for(condition, worker: subprocess.Popen, log_path: Path, what: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        assert worker.poll() is None, f"the worker stopped:\n{log_path.read_text()}"
        assert time.monotonic() < deadline, (
            f"{what}: not in {WAIT_SECONDS} s\n{log_path.read_text()}"
        )
        time.sleep(0.2)


def _document(database_url: str, version_id: int) -> dict:
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as conn:
            row = conn.execute(
                sa.text(
                    "SELECT status, claimed_at, data AS pdf FROM stored_documents "
                    "WHERE version_id = :v"
                ),
                {"v": version_id},
            ).one()
            return dict(row._mapping)
    finally:
        engine.dispose()


def test_a_rendering_killed_mid_job_is_queued_again_by_the_sweep_and_finished(tmp_path):
    queue_path = tmp_path / "huey.sqlite"
    hold = tmp_path / "hold"
    dotenv, settings = _write_dotenv(tmp_path, HUEY_SQLITE_PATH=str(queue_path))
    env = dict(_process_env(dotenv, settings), TEST_HOLD_JOBS_FILE=str(hold))
    database_url = settings["DATABASE_URL"]
    queue = SqliteHuey("coordapp", filename=str(queue_path))
    log_path = tmp_path / "worker.log"

    version_id = int(_run(SETUP_SCRIPT, env))
    assert _jobs_waiting(queue) == ["render_minutes_pdf"]

    # The worker takes the job, records its lease, and is killed mid-job.
    hold.touch()
    worker = _start_worker(env, log_path, held=True)
    try:
        reached = tmp_path / "hold.render_minutes_pdf"
        _wait_for(reached.exists, worker, log_path, "the worker did not take the job")
    finally:
        worker.kill()  # SIGKILL: no clean-up of any kind
        worker.wait(timeout=10)
    hold.unlink()

    stuck = _document(database_url, version_id)
    assert stuck["status"] == "pending" and stuck["pdf"] is None
    assert stuck["claimed_at"] is not None
    assert _jobs_waiting(queue) == []  # the job died with the worker: nothing would run it

    within_lease, after_lease = json.loads(_run(SWEEP_SCRIPT, env))
    assert within_lease["minutes_pdf"] == []  # the job may still be running: leave it
    assert after_lease["minutes_pdf"] == [version_id]
    assert _jobs_waiting(queue) == ["render_minutes_pdf"]

    worker = _start_worker(env, log_path)
    try:
        _wait_for(
            lambda: _document(database_url, version_id)["status"] != "pending",
            worker,
            log_path,
            "the fresh worker did not finish the rendering",
        )
    finally:
        _stop(worker)

    done = _document(database_url, version_id)
    assert done["status"] == "ready", log_path.read_text()
    assert bytes(done["pdf"]).startswith(b"%PDF")
    assert _jobs_waiting(queue) == []


# --- a fleet of two workers, the shipped lease settings -------------------------------------

# Within this of the kill, the dead worker's job must be done by the other worker.
PICKED_UP_WITHIN = 60
# The shipped lease (or the one this environment sets, which the workers get too).
LEASE_SECONDS = from_environment("instance")["JOB_LEASE_SECONDS"]

# Setup: as above, the PDF rendered here at once, the CA made, the chair's approval given
# and its signing job queued.
SIGNING_SETUP_SCRIPT = SETUP_SCRIPT.replace(
    "    render_minutes_pdf(version.id)  # queued for the worker\n    print(version.id)\n",
    """    render_minutes_pdf.call_local(version.id)
    from coordapp.approval import service as approval_service
    from coordapp.minutes_pdf.tasks import sign_approval
    from coordapp.signing.ca import init_ca

    init_ca()
    db.session.commit()
    approval = approval_service.approve(version, chair)
    db.session.commit()
    sign_approval(approval.id)  # queued for the worker
    print(approval.id)
""",
)


def _row(database_url: str, query: str, **params) -> dict:
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as conn:
            return dict(conn.execute(sa.text(query), params).one()._mapping)
    finally:
        engine.dispose()


def _approval(database_url: str, approval_id: int) -> dict:
    return _row(
        database_url,
        "SELECT a.status, a.claim_token, a.claimed_at, d.signature_count "
        "FROM minutes_approvals a JOIN stored_documents d ON d.version_id = a.version_id "
        "WHERE a.id = :id",
        id=approval_id,
    )


def _utc(value) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _alive_past_its_lease(held_worker, log_path, read_lease) -> dict:
    """Let the held worker sit on its job for longer than a lease while the fleet's other
    worker sweeps; its lease must stay its own (renewed), the job not be taken over."""
    first = read_lease()
    time.sleep(LEASE_SECONDS * 1.5)
    assert held_worker.poll() is None, log_path.read_text()
    later = read_lease()
    assert later["claim_token"] == first["claim_token"] is not None
    assert _utc(later["claimed_at"]) > datetime.now(UTC) - timedelta(seconds=LEASE_SECONDS)
    return later


def test_a_signature_whose_worker_is_killed_completes_once_within_a_minute(tmp_path):
    queue_path = tmp_path / "huey.sqlite"
    hold = tmp_path / "hold"
    dotenv, settings = _write_dotenv(tmp_path, HUEY_SQLITE_PATH=str(queue_path))
    env = dict(_process_env(dotenv, settings), TEST_HOLD_JOBS_FILE=str(hold))
    database_url = settings["DATABASE_URL"]
    log_path = tmp_path / "worker.log"
    approval_id = int(_run(SIGNING_SETUP_SCRIPT, env))

    hold.touch()
    held = _start_worker(env, log_path, held=True)
    other = None
    try:
        _wait_for((tmp_path / "hold.sign_approval").exists, held, log_path, "no signing")
        other = _start_worker(env, log_path, periodic=True)  # sweeps every 10 s
        taken = _alive_past_its_lease(held, log_path, lambda: _approval(database_url, approval_id))
        assert taken["status"] == "pending" and taken["signature_count"] == 0

        held.kill()  # SIGKILL mid-signature: no clean-up of any kind
        held.wait(timeout=10)
        killed_at = time.monotonic()
        hold.unlink()
        _wait_for(
            lambda: _approval(database_url, approval_id)["status"] != "pending",
            other,
            log_path,
            "the other worker did not finish the signature",
        )
        took = time.monotonic() - killed_at
    finally:
        if held.poll() is None:
            held.kill()
            held.wait()
        if other is not None:
            _stop(other)

    done = _approval(database_url, approval_id)
    assert done["status"] == "signed", log_path.read_text()
    assert done["signature_count"] == 1  # signed once
    print(f"signature done {took:.1f} s after the kill")
    assert took < PICKED_UP_WITHIN, f"signed {took:.0f} s after the kill"


# Three invitations queued in one commit, which queues one delivery run.
MAIL_SETUP_SCRIPT = """
from coordapp import create_app

app = create_app()

from datetime import UTC, datetime, timedelta

from coordapp.extensions import db
from coordapp.invitations.invite import invite_contacts
from coordapp.models import Base, Category, Contact, Meeting, MeetingStatus, Organisation

with app.app_context():
    Base.metadata.create_all(db.engine)
    starts = datetime.now(UTC) + timedelta(days=30)
    meeting = Meeting(
        title="Lease round trip",
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        timezone="Europe/Minsk",
        status=MeetingStatus.SCHEDULED,
    )
    ops = Organisation(name="Operations", category=Category.OTHER)
    contacts = [
        Contact(name=f"Person {n}", email=f"person{n}@example.org", organisation=ops)
        for n in range(3)
    ]
    db.session.add_all([meeting, ops, *contacts])
    db.session.flush()
    invite_contacts(meeting, contacts, by=None)
    db.session.commit()
"""


def _messages(database_url: str) -> list[dict]:
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text(
                    "SELECT message_id, status, claim_token, claimed_at FROM outgoing_messages "
                    "ORDER BY id"
                )
            )
            return [dict(row._mapping) for row in rows]
    finally:
        engine.dispose()


def test_mail_whose_worker_is_killed_mid_batch_goes_out_exactly_once_within_a_minute(tmp_path):
    """The worker sent the first of three messages (its outcome committed right after the
    server's 250) and is killed before the second: the other worker sends the second and
    the third, once each, with the Message-IDs fixed when they were queued; the first is
    not sent again."""
    server = SMTPServer().start()
    try:
        queue_path = tmp_path / "huey.sqlite"
        hold = tmp_path / "hold"
        dotenv, settings = _write_dotenv(
            tmp_path,
            HUEY_SQLITE_PATH=str(queue_path),
            MAIL_SERVER=server.host,
            MAIL_PORT=str(server.port),
        )
        env = dict(
            _process_env(dotenv, settings), TEST_HOLD_JOBS_FILE=str(hold), TEST_HOLD_SEND_AT="2"
        )
        database_url = settings["DATABASE_URL"]
        log_path = tmp_path / "worker.log"
        _run(MAIL_SETUP_SCRIPT + "    print('queued')\n", env)
        queued = _messages(database_url)
        assert [m["status"] for m in queued] == ["queued"] * 3

        hold.touch()
        held = _start_worker(env, log_path, held=True)
        other = None
        try:
            _wait_for((tmp_path / "hold.send_mail").exists, held, log_path, "no delivery")
            assert len(server.messages) == 1
            other = _start_worker(env, log_path, periodic=True)

            def claimed() -> dict:
                rows = [m for m in _messages(database_url) if m["status"] == "sending"]
                assert len(rows) == 2 and rows[0]["claim_token"] == rows[1]["claim_token"]
                return rows[0]

            _alive_past_its_lease(held, log_path, claimed)
            assert len(server.messages) == 1  # nobody took the live worker's messages

            held.kill()
            held.wait(timeout=10)
            killed_at = time.monotonic()
            hold.unlink()
            _wait_for(
                lambda: (
                    len(server.messages) >= 3
                    and all(m["status"] == "sent" for m in _messages(database_url))
                ),
                other,
                log_path,
                "the other worker did not send the rest",
            )
            took = time.monotonic() - killed_at
            time.sleep(2)  # anything sent twice would arrive now
        finally:
            if held.poll() is None:
                held.kill()
                held.wait()
            if other is not None:
                _stop(other)
    finally:
        server.stop()

    received = sorted(m["Message-ID"] for m in server.messages)
    assert received == sorted(m["message_id"] for m in queued)  # each once, ids kept
    print(f"mail sent {took:.1f} s after the kill")
    assert took < PICKED_UP_WITHIN, f"sent {took:.0f} s after the kill"
