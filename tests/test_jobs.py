"""Background jobs: Huey on SQLite by default, on Redis when REDIS_URL is set."""

import uuid
from datetime import timedelta

from huey import RedisHuey, SqliteHuey

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
    redis_queue = RedisHuey(name, url=REDIS_URL)
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
