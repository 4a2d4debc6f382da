"""A worker killed mid-job (kill -9) leaves its document PENDING; once the job's lease has
run out, the sweep queues the job again and a fresh worker finishes it.

Real processes, as in production: `huey_consumer coordapp.worker.huey` against a
throw-away SQLite database and SQLite queue configured by a `.env` file. The job is held
at a known point by the test-only TEST_HOLD_JOBS_FILE setting (coordapp/jobs.py), so the
kill lands mid-job every time. One small PDF is rendered (a few seconds).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from huey import SqliteHuey

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

from coordapp import create_app

app = create_app()

from coordapp import tasks

with app.app_context():
    within_lease = tasks.requeue_stalled_jobs.call_local()
    app.config["JOB_LEASE_SECONDS"] = 0
    after_lease = tasks.requeue_stalled_jobs.call_local()
    print(json.dumps([within_lease, after_lease]))
"""


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


def _start_worker(env: dict, log_path: Path) -> subprocess.Popen:
    # Periodic jobs off: only what the test queues runs.
    with open(log_path, "a") as log:
        return subprocess.Popen(
            [str(HUEY_CONSUMER), "coordapp.worker.huey", "--workers", "1", "--no-periodic"],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


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
                    "SELECT status, claimed_at, pdf FROM minutes_documents WHERE version_id = :v"
                ),
                {"v": version_id},
            ).one()
            return dict(row._mapping)
    finally:
        engine.dispose()


def test_a_rendering_killed_mid_job_is_queued_again_by_the_sweep_and_finished(tmp_path):
    queue_path = tmp_path / "huey.sqlite"
    hold = tmp_path / "hold"
    dotenv, settings = _write_dotenv(
        tmp_path, HUEY_SQLITE_PATH=str(queue_path), TEST_HOLD_JOBS_FILE=str(hold)
    )
    env = _process_env(dotenv, settings)
    database_url = settings["DATABASE_URL"]
    queue = SqliteHuey("coordapp", filename=str(queue_path))
    log_path = tmp_path / "worker.log"

    version_id = int(_run(SETUP_SCRIPT, env))
    assert queue.pending_count() == 1

    # The worker takes the job, records its lease, and is killed mid-job.
    hold.touch()
    worker = _start_worker(env, log_path)
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
    assert queue.pending_count() == 0  # the job died with the worker: nothing would run it

    within_lease, after_lease = json.loads(_run(SWEEP_SCRIPT, env))
    assert within_lease["minutes_pdf"] == []  # the job may still be running: leave it
    assert after_lease["minutes_pdf"] == [version_id]
    assert queue.pending_count() == 1

    worker = _start_worker(env, log_path)
    try:
        _wait_for(
            lambda: _document(database_url, version_id)["status"] != "pending",
            worker,
            log_path,
            "the fresh worker did not finish the rendering",
        )
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=10)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()

    done = _document(database_url, version_id)
    assert done["status"] == "ready", log_path.read_text()
    assert bytes(done["pdf"]).startswith(b"%PDF")
    assert queue.pending_count() == 0
