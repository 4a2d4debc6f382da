"""The web app and the worker, as two real processes configured only by a `.env` file,
share one job queue: a job the web app queues is run by `huey_consumer`.

Each test starts OS processes (a web-side script and `huey_consumer coordapp.worker.huey`),
so it takes a few seconds. Redis db 5 is flushed before and after.
"""

from __future__ import annotations

import email
import email.policy
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import redis
import sqlalchemy as sa
from huey import Huey, SqliteHuey

from coordapp.jobs import RedisQueue

PROJECT_ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = "redis://127.0.0.1:6379/5"
HUEY_CONSUMER = Path(sys.executable).with_name("huey_consumer")
WAIT_SECONDS = 30

pytestmark = pytest.mark.processes

# The web side: build the app from the .env, create the schema, put one email in the
# outbox and commit, which queues the `deliver_outbox` job (coordapp/mail/queue.py).
WEB_SCRIPT = """
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
        title="Queue round trip",
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        timezone="Europe/Minsk",
        status=MeetingStatus.SCHEDULED,
    )
    ops = Organisation(name="Operations", category=Category.OTHER)
    contact = Contact(name="Ops", email="ops@example.org", organisation=ops)
    db.session.add_all([meeting, ops, contact])
    db.session.flush()
    invite_contacts(meeting, [contact], by=None)  # the worker writes the invitation
    db.session.commit()
"""


@pytest.fixture
def queue_name():
    """A queue of this test's own on the shared Redis (other runs may use it meanwhile)."""
    name = f"coordapp-test-{uuid.uuid4().hex[:12]}"
    yield name
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"*{name}*"):
        client.delete(key)
    client.close()


def _write_dotenv(tmp_path: Path, **settings: str) -> tuple[Path, dict]:
    settings = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'app.sqlite'}",
        "MAIL_FILE_DIR": str(tmp_path / "mail"),
        **settings,
    }
    dotenv = tmp_path / "coordapp.env"
    dotenv.write_text("".join(f"{key}={value}\n" for key, value in settings.items()))
    return dotenv, settings


def _process_env(dotenv: Path, settings: dict) -> dict:
    """This process's environment, minus anything the .env should decide."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in settings
        and key not in {"REDIS_URL", "HUEY_SQLITE_PATH", "HUEY_NAME", "MAIL_SERVER"}
    }
    env["COORDAPP_DOTENV"] = str(dotenv)
    return env


def _queue_email_from_the_web_app(env: dict) -> None:
    web = subprocess.run(
        [sys.executable, "-c", WEB_SCRIPT],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert web.returncode == 0, web.stderr


def _run_worker_until_mail_arrives(env: dict, tmp_path: Path) -> list[Path]:
    """Start the worker (periodic jobs off: only the queued job can deliver), wait for the
    .eml file, stop the worker."""
    mail_dir = tmp_path / "mail"
    log_path = tmp_path / "worker.log"
    with open(log_path, "w") as log:
        worker = subprocess.Popen(
            [str(HUEY_CONSUMER), "coordapp.worker.huey", "--workers", "1", "--no-periodic"],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + WAIT_SECONDS
            while time.monotonic() < deadline and not list(mail_dir.glob("*.eml")):
                assert worker.poll() is None, log_path.read_text()
                time.sleep(0.2)
        finally:
            worker.terminate()
            try:
                worker.wait(timeout=10)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
    sent = list(mail_dir.glob("*.eml"))
    assert sent, f"the worker ran no job in {WAIT_SECONDS} s:\n{log_path.read_text()}"
    return sent


def _statuses(settings: dict) -> list[str]:
    engine = sa.create_engine(settings["DATABASE_URL"])
    try:
        with engine.connect() as conn:
            return list(conn.scalars(sa.text("SELECT status FROM outgoing_messages")))
    finally:
        engine.dispose()


def test_worker_runs_the_job_the_web_app_queued_in_redis_set_in_dotenv(tmp_path, queue_name):
    dotenv, settings = _write_dotenv(
        tmp_path,
        REDIS_URL=REDIS_URL,
        HUEY_NAME=queue_name,
        HUEY_SQLITE_PATH=str(tmp_path / "unused-queue.sqlite"),
    )
    env = _process_env(dotenv, settings)

    _queue_email_from_the_web_app(env)
    assert Huey(queue_name, storage_class=RedisQueue, url=REDIS_URL).pending_count() == 1

    sent = _run_worker_until_mail_arrives(env, tmp_path)
    assert (
        "Queue round trip"
        in email.message_from_bytes(sent[0].read_bytes(), policy=email.policy.default)["Subject"]
    )
    assert _statuses(settings) == ["sent"]
    assert Huey(queue_name, storage_class=RedisQueue, url=REDIS_URL).pending_count() == 0
    assert not (tmp_path / "unused-queue.sqlite").exists()


def test_without_redis_both_processes_use_the_sqlite_queue_at_huey_sqlite_path(tmp_path):
    queue_path = tmp_path / "queue" / "huey.sqlite"
    dotenv, settings = _write_dotenv(tmp_path, HUEY_SQLITE_PATH=str(queue_path))
    env = _process_env(dotenv, settings)

    _queue_email_from_the_web_app(env)
    assert SqliteHuey("coordapp", filename=str(queue_path)).pending_count() == 1

    sent = _run_worker_until_mail_arrives(env, tmp_path)
    assert (
        "Queue round trip"
        in email.message_from_bytes(sent[0].read_bytes(), policy=email.policy.default)["Subject"]
    )
    assert _statuses(settings) == ["sent"]
    assert SqliteHuey("coordapp", filename=str(queue_path)).pending_count() == 0
