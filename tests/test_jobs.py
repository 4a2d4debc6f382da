"""Background jobs: Huey on SQLite by default, on Redis when REDIS_URL is set."""

from datetime import timedelta

from huey import RedisHuey, SqliteHuey

from coordapp import jobs
from coordapp.extensions import db
from coordapp.models import LoginAttempt, utcnow


def test_queue_is_sqlite_by_default_and_redis_when_configured(monkeypatch, tmp_path):
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.setenv("HUEY_SQLITE_PATH", str(tmp_path / "q.sqlite"))
    assert isinstance(jobs._make_huey(), SqliteHuey)
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/15")
    queue = jobs._make_huey()
    assert isinstance(queue, RedisHuey)


def test_a_task_queued_on_redis_is_run_by_a_consumer(monkeypatch):
    """The real round trip through Redis: enqueue, then let a worker execute it."""
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/15")
    queue = jobs._make_huey()
    queue.flush()

    @queue.task()
    def add(a, b):
        return a + b

    result = add(2, 3)
    assert queue.pending_count() == 1
    task = queue.dequeue()
    queue.execute(task)
    assert result.get() == 5
    queue.flush()


def test_worker_module_registers_the_periodic_jobs():
    from coordapp import worker

    names = {task.__name__ for task in worker.huey._registry._periodic_tasks}
    assert any("purge_old_login_attempts" in name for name in names)


def test_purge_removes_only_old_login_attempts(app):
    from coordapp.tasks import purge_old_login_attempts

    db.session.add_all([
        LoginAttempt(email="a@example.org", ip="127.0.0.1", at=utcnow() - timedelta(days=3)),
        LoginAttempt(email="b@example.org", ip="127.0.0.1", at=utcnow() - timedelta(minutes=3)),
    ])
    db.session.commit()
    purge_old_login_attempts.call_local()
    assert [a.email for a in db.session.scalars(db.select(LoginAttempt))] == ["b@example.org"]
