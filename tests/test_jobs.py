"""Background jobs: Huey on SQLite by default, on Redis when REDIS_URL is set."""

import uuid
from datetime import timedelta

from huey import Huey, SqliteHuey

from coordapp import jobs
from coordapp.extensions import db
from coordapp.models import LoginAttempt, LoginSession, RateLimitHit, utcnow

REDIS_URL = "redis://127.0.0.1:6379/5"


def test_each_new_app_puts_jobs_on_the_queue_its_configuration_names(app, tmp_path):
    """Tests build many apps in one process: the queue follows the app built last, and
    HUEY_IMMEDIATE still runs jobs at once."""
    from coordapp import create_app
    from coordapp.auth.tasks import purge_old_login_attempts
    from tests.conftest import test_config

    queue_path = tmp_path / "queue" / "huey.sqlite"
    name = f"coordapp-test-{uuid.uuid4().hex[:12]}"  # this test's own queue on Redis
    redis_queue = Huey(name, storage_class=jobs.RedisQueue, url=REDIS_URL)
    try:
        create_app(
            test_config(HUEY_IMMEDIATE=False, REDIS_URL=None, HUEY_SQLITE_PATH=str(queue_path))
        )
        purge_old_login_attempts()
        assert SqliteHuey("coordapp", filename=str(queue_path)).pending_count() == 1

        create_app(test_config(HUEY_IMMEDIATE=False, REDIS_URL=REDIS_URL, HUEY_NAME=name))
        purge_old_login_attempts()
        assert redis_queue.pending_count() == 1

        create_app(test_config())
        db.session.add(
            LoginAttempt(email="a@example.org", ip="127.0.0.1", at=utcnow() - timedelta(days=3))
        )
        db.session.commit()
        purge_old_login_attempts()
        assert db.session.scalars(db.select(LoginAttempt)).all() == []
        assert redis_queue.pending_count() == 1
    finally:
        jobs.configure_queue(app)
        redis_queue.flush()


def test_worker_module_registers_the_periodic_jobs():
    from coordapp import worker

    names = {task.__name__ for task in worker.huey._registry._periodic_tasks}
    for job in ("purge_old_login_attempts", "purge_old_rate_limit_hits"):
        assert any(job in name for name in names), job
    assert any("purge_ended_login_sessions" in name for name in names)


def test_purge_removes_only_old_login_attempts(app):
    from coordapp.auth.tasks import purge_old_login_attempts

    db.session.add_all(
        [
            LoginAttempt(email="a@example.org", ip="127.0.0.1", at=utcnow() - timedelta(days=3)),
            LoginAttempt(email="b@example.org", ip="127.0.0.1", at=utcnow() - timedelta(minutes=3)),
        ]
    )
    db.session.commit()
    purge_old_login_attempts.call_local()
    assert [a.email for a in db.session.scalars(db.select(LoginAttempt))] == ["b@example.org"]


def test_purge_removes_only_old_rate_limit_hits(app):
    from coordapp.tasks import purge_old_rate_limit_hits

    db.session.add_all(
        [
            RateLimitHit(bucket="bad-personal-link", key="old", at=utcnow() - timedelta(days=2)),
            RateLimitHit(bucket="bad-personal-link", key="new", at=utcnow() - timedelta(hours=1)),
        ]
    )
    db.session.commit()
    assert purge_old_rate_limit_hits.call_local() == 1
    assert [h.key for h in db.session.scalars(db.select(RateLimitHit))] == ["new"]


def test_purge_removes_only_login_sessions_ended_a_day_ago(app, make_user):
    from coordapp.auth.tasks import purge_ended_login_sessions

    user = make_user()
    now = utcnow()
    ended = {
        "expired": dict(expires_at=now - timedelta(days=2)),
        "logged out": dict(expires_at=now + timedelta(days=9), revoked_at=now - timedelta(days=2)),
        "just logged out": dict(expires_at=now + timedelta(days=9), revoked_at=now),
        "live": dict(expires_at=now + timedelta(days=9)),
    }
    db.session.add_all(
        LoginSession(user_id=user.id, token_hash=name.ljust(64, "-"), **when)
        for name, when in ended.items()
    )
    db.session.commit()
    assert purge_ended_login_sessions.call_local() == 2
    kept = {s.token_hash.rstrip("-") for s in db.session.scalars(db.select(LoginSession))}
    assert kept == {"just logged out", "live"}


def test_interactive_jobs_are_taken_before_bulk_ones_already_waiting(app, tmp_path):
    """Forty report PDFs asked at once, then an agenda PDF, a signature and a /verify
    check: on either queue the worker takes the three interactive jobs first."""
    from coordapp import create_app
    from coordapp.agenda.tasks import render_agenda_pdf
    from coordapp.mail.tasks import deliver_outbox
    from coordapp.minutes_pdf.tasks import sign_approval
    from coordapp.reports.tasks import render_report_pdf
    from coordapp.verify.tasks import check_uploaded_pdf
    from tests.conftest import test_config

    name = f"coordapp-test-{uuid.uuid4().hex[:12]}"
    queues = {
        "sqlite": dict(REDIS_URL=None, HUEY_SQLITE_PATH=str(tmp_path / "huey.sqlite")),
        "redis": dict(REDIS_URL=REDIS_URL, HUEY_NAME=name),
    }
    try:
        for kind, settings in queues.items():
            create_app(test_config(HUEY_IMMEDIATE=False, **settings))
            for report_id in range(40):
                render_report_pdf(report_id)
            deliver_outbox()
            render_agenda_pdf(1)
            sign_approval(2)
            check_uploaded_pdf(3)
            taken = []
            while (job := jobs.huey.dequeue()) is not None:
                taken.append(job.name.rsplit(".", 1)[-1])
            assert taken[:3] == ["render_agenda_pdf", "sign_approval", "check_uploaded_pdf"], kind
            assert taken[3:] == ["deliver_outbox"] + ["render_report_pdf"] * 40, kind
    finally:
        jobs.configure_queue(app)
        Huey(name, storage_class=jobs.RedisQueue, url=REDIS_URL).flush()


def test_a_job_takes_its_rows_lease_once_and_a_copy_does_nothing_until_it_expires(app):
    """Two copies of one job (queued twice, or queued again by the sweep while the first
    was only waiting): the first takes the row's lease, the second finds it held and does
    nothing; once the holder stopped renewing (its worker died) and the lease ran out, a
    new copy takes it over."""
    from coordapp.models import ReportDocument, Series
    from coordapp.models.document import DocumentStatus

    series = Series(name="Lease series")
    db.session.add(series)
    db.session.flush()
    document = ReportDocument(
        series_id=series.id,
        period_start=utcnow().date(),
        period_end=utcnow().date(),
        filename="r.pdf",
    )
    db.session.add(document)
    db.session.commit()
    pending = DocumentStatus.PENDING

    with jobs.held_lease(ReportDocument, document.id, pending) as first:
        assert first
        with jobs.held_lease(ReportDocument, document.id, pending) as copy:
            assert not copy
    assert jobs.requeue_expired(ReportDocument, pending) == []  # a live lease

    db.session.refresh(document)
    document.claimed_at = utcnow() - timedelta(seconds=app.config["JOB_LEASE_SECONDS"] + 1)
    db.session.commit()
    with jobs.held_lease(ReportDocument, document.id, pending) as taken_over:
        assert taken_over
    document.status = DocumentStatus.READY
    db.session.commit()
    with jobs.held_lease(ReportDocument, document.id, pending) as done:
        assert not done  # nothing left to do


def test_a_pdf_check_whose_worker_died_is_queued_again_while_its_page_still_waits(app, monkeypatch):
    from coordapp.models import PdfCheck
    from coordapp.verify import tasks as verify_tasks

    queued = []
    monkeypatch.setattr(verify_tasks, "check_uploaded_pdf", queued.append)
    lease = timedelta(seconds=app.config["JOB_LEASE_SECONDS"] + 1)
    died = PdfCheck(token="died", pdf=b"%PDF", claimed_at=utcnow() - lease)
    running = PdfCheck(token="running", pdf=b"%PDF", claimed_at=utcnow())
    lost = PdfCheck(
        token="lost",
        pdf=b"%PDF",
        created_at=utcnow() - timedelta(hours=1),
        claimed_at=utcnow() - timedelta(hours=1),
    )
    db.session.add_all([died, running, lost])
    db.session.commit()

    assert verify_tasks.requeue_expired() == [died.id]
    assert queued == [died.id]
    assert verify_tasks.requeue_expired() == []  # its lease was renewed for the new job
