"""/metrics (Prometheus text, parsed with prometheus_client's own parser) and /readyz, as
a monitoring system sees them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from coordapp import counters, heartbeat
from coordapp.extensions import db
from coordapp.models import (
    LoginAttempt,
    MessageKind,
    MessageStatus,
    OutgoingMessage,
    WorkerHeartbeat,
)
from tests.backup_helpers import app_on, dispose, migrate, sqlite_url
from tests.conftest import test_config

TOKEN = "metrics-token-for-the-tests-0123456789"
PROJECT_ROOT = Path(__file__).resolve().parent.parent
HUEY_CONSUMER = Path(sys.executable).with_name("huey_consumer")


def _scrape(client, **headers) -> dict:
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.content_type.startswith("text/plain; version=")
    families = text_string_to_metric_families(response.get_data(as_text=True))
    return {family.name: family for family in families}


def _sample(families, name: str, **labels) -> float:
    for family in families.values():
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return sample.value
    raise AssertionError(f"no sample {name} {labels}")


def _message(status: MessageStatus, due: datetime, attempts: int = 0) -> OutgoingMessage:
    message = OutgoingMessage(
        kind=MessageKind.OTHER,
        message_id=f"<{os.urandom(8).hex()}@coordapp.test>",
        to_email="someone@example.org",
        status=status,
        attempts=attempts,
        next_attempt_at=due,
    )
    db.session.add(message)
    return message


def test_metrics_refuse_anonymous_and_wrong_tokens_and_other_addresses(app, client):
    assert client.get("/metrics").status_code == 401  # nothing configured: nobody
    app.config.update(METRICS_TOKEN=TOKEN, METRICS_ALLOW="10.0.0.0/8")
    anonymous = client.get("/metrics")
    assert anonymous.status_code == 401
    assert anonymous.headers["WWW-Authenticate"].startswith("Bearer")
    assert "coordapp_" not in anonymous.get_data(as_text=True)
    assert client.get("/metrics", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
    app.config.update(METRICS_ALLOW="10.0.0.0/8, 127.0.0.1")  # the test client's address
    assert client.get("/metrics").status_code == 200


def test_metrics_carry_requests_outbox_jobs_logins_answers_and_workers(app, client):
    app.config["METRICS_TOKEN"] = TOKEN
    now = datetime.now(UTC)
    _message(MessageStatus.QUEUED, now - timedelta(minutes=20), attempts=3)
    _message(MessageStatus.QUEUED, now + timedelta(minutes=5))
    _message(MessageStatus.SENT, now - timedelta(hours=1), attempts=1)
    _message(MessageStatus.FAILED, now - timedelta(hours=2), attempts=8)
    db.session.add(LoginAttempt(email="x@example.org", ip="192.0.2.1", succeeded=False))
    counters.observe("coordapp_job_duration_seconds", {"job": "render_minutes_pdf"}, 3.2)
    counters.observe("coordapp_job_duration_seconds", {"job": "sign_approval"}, 0.7)
    counters.increment("coordapp_jobs_total", {"job": "sign_approval", "outcome": "done"})
    counters.increment("coordapp_job_requeues_total", {"sweep": "signatures"}, 2)
    heartbeat.beat("worker-a:1")
    db.session.commit()
    assert client.get("/healthz").status_code == 200
    assert client.get("/no/such/page").status_code == 404

    families = _scrape(client, Authorization=f"Bearer {TOKEN}")

    healthz = dict(endpoint="health.healthz", method="GET", status="200")
    assert _sample(families, "coordapp_http_requests_total", **healthz) >= 1
    assert _sample(families, "coordapp_http_requests_total", endpoint="unmatched", status="404")
    assert _sample(
        families, "coordapp_http_request_duration_seconds_count", endpoint="health.healthz"
    )
    assert families["coordapp_http_request_duration_seconds"].type == "histogram"

    assert _sample(families, "coordapp_outbox_messages", state="queued") == 2
    assert _sample(families, "coordapp_outbox_messages", state="failed") == 1
    assert 20 * 60 - 5 <= _sample(families, "coordapp_outbox_oldest_due_age_seconds") < 21 * 60
    assert _sample(families, "coordapp_mail_deliveries_total") == 1
    assert _sample(families, "coordapp_mail_failures_total") == 1
    assert _sample(families, "coordapp_mail_retries_total") == 2 + 7

    assert _sample(families, "coordapp_jobs_queued") == 0
    assert _sample(families, "coordapp_jobs_running", kind="minutes_pdf") == 0
    assert _sample(families, "coordapp_jobs_lease_expired", kind="signature") == 0
    assert _sample(families, "coordapp_job_requeues_total", sweep="signatures") == 2
    render = dict(job="render_minutes_pdf")
    assert _sample(families, "coordapp_job_duration_seconds_count", **render) == 1
    assert _sample(families, "coordapp_job_duration_seconds_bucket", le="2.5", **render) == 0
    assert _sample(families, "coordapp_job_duration_seconds_bucket", le="5.0", **render) == 1
    assert _sample(families, "coordapp_job_duration_seconds_sum", job="sign_approval") == 0.7
    assert _sample(families, "coordapp_jobs_total", job="sign_approval", outcome="done") == 1

    assert _sample(families, "coordapp_login_failures_last_hour") == 1
    assert "coordapp_throttled_hits_last_hour" in families
    assert "coordapp_rsvp_answers" in families
    assert _sample(families, "coordapp_poll_answers") == 0
    assert _sample(families, "coordapp_workers_alive") == 1
    assert 0 <= _sample(families, "coordapp_worker_heartbeat_age_seconds") < 5
    assert _sample(families, "coordapp_database_up") == 1


def test_a_bounce_that_comes_back_counts_in_the_bounces_series(app, client):
    """Issue #23's "bounces": a permanent failure report for a sent message, read from the
    inbox, counts once; a delay notice does not."""
    from coordapp.inbound.service import process_message
    from tests import inbound_mail as shaped

    app.config["METRICS_TOKEN"] = TOKEN
    sent_at = datetime.now(UTC) - timedelta(hours=1)
    bounced, delayed = (_message(MessageStatus.SENT, sent_at, attempts=1) for _ in range(2))
    db.session.commit()

    def bounces() -> float:
        families = _scrape(client, Authorization=f"Bearer {TOKEN}")
        assert families["coordapp_mail_bounces"].type == "counter"
        return _sample(families, "coordapp_mail_bounces_total")

    assert bounces() == 0
    # Matched by the original Message-ID the report quotes (no sub-addresses configured).
    late = shaped.dsn(
        "secretariat@example.org",
        "someone@example.org",
        action="delayed",
        status="4.4.1",
        original_message_id=delayed.message_id,
    )
    assert process_message("INBOX", 1, 1, late).outgoing_message_id == delayed.id
    assert bounces() == 0
    failed = shaped.dsn(
        "secretariat@example.org", "someone@example.org", original_message_id=bounced.message_id
    )
    assert process_message("INBOX", 1, 2, failed).outgoing_message_id == bounced.id
    assert bounces() == 1
    assert (
        _sample(_scrape(client, Authorization=f"Bearer {TOKEN}"), "coordapp_mail_deliveries_total")
        == 2
    )


def _readyz(client) -> tuple[int, dict]:
    response = client.get("/readyz")
    return response.status_code, response.get_json()


def test_readyz_needs_a_recent_worker_heartbeat(app, client):
    app.config["HUEY_IMMEDIATE"] = False  # as in production: jobs need a worker
    status, body = _readyz(client)
    assert (status, body["worker"]) == (503, "no worker has started")
    assert body["database"] == "ok" and body["queue"] == "ok"

    db.session.add(
        WorkerHeartbeat(worker="old:1", beat_at=datetime.now(UTC) - timedelta(minutes=3))
    )
    db.session.commit()
    status, body = _readyz(client)
    assert status == 503
    assert body["reasons"][0].startswith("no worker heartbeat for 18")

    heartbeat.beat("fresh:2")
    assert _readyz(client) == (
        200,
        {"status": "ok", "database": "ok", "queue": "ok", "worker": "ok"},
    )


def test_readyz_names_an_unreachable_database():
    from coordapp import create_app

    unreachable = create_app(
        test_config(
            SQLALCHEMY_DATABASE_URI="postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2"
        )
    )
    status, body = _readyz(unreachable.test_client())
    assert status == 503
    assert body["database"].startswith("the database does not answer")


@pytest.mark.processes
def test_readyz_turns_503_once_the_real_worker_is_killed(tmp_path):
    """A real `huey_consumer` beats; `kill -9` it and /readyz says so once the newest
    beat is older than the limit (here 3 s; 120 s by default)."""
    url = sqlite_url(tmp_path, "ready")
    queue = str(tmp_path / "queue.sqlite")
    settings = dict(HUEY_IMMEDIATE=False, HUEY_SQLITE_PATH=queue, WORKER_HEARTBEAT_MAX_AGE=3)
    web = app_on(url, **settings)
    migrate(web)
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"REDIS_URL", "HUEY_NAME", "TEST_DATABASE_URL"}
    }
    dotenv = tmp_path / "worker.env"
    dotenv.write_text(
        f"DATABASE_URL={url}\nHUEY_SQLITE_PATH={queue}\nSECRET_KEY={'k' * 40}\n"
        f"MAIL_FILE_DIR={tmp_path / 'mail'}\nWORKER_HEARTBEAT_SECONDS=0.5\n"
    )
    env["COORDAPP_DOTENV"] = str(dotenv)
    client = web.test_client()
    log = open(tmp_path / "worker.log", "w")
    worker = subprocess.Popen(
        [str(HUEY_CONSUMER), "coordapp.worker.huey", "--workers", "1", "--no-periodic"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while _readyz(client)[0] != 200:
            assert worker.poll() is None, (tmp_path / "worker.log").read_text()
            assert time.monotonic() < deadline, _readyz(client)
            time.sleep(0.3)
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait()
        killed = time.monotonic()
        while _readyz(client)[0] == 200:
            assert time.monotonic() - killed < 3 + 0.5 + 5
            time.sleep(0.3)
        status, body = _readyz(client)
        assert status == 503 and body["worker"].startswith("no worker heartbeat for")
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
        log.close()
        dispose(web)
        from coordapp import create_app

        create_app(test_config())  # the job queue back to the tests' immediate one
