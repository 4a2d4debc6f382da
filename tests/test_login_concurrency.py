"""Login throttling holds when many wrong passwords arrive at the same moment, on SQLite
and on PostgreSQL: no more than the limit get their password checked."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from coordapp.extensions import db
from coordapp.models import LoginAttempt
from tests.factories import make_user

PARALLEL = 16


@pytest.mark.commits  # threads, each on its own connection
def test_sixteen_simultaneous_wrong_passwords_get_only_five_checks(app):
    # A real (slow) hash, as in production: the window between counting and recording
    # an attempt is as wide as it is there.
    app.config["PASSWORD_HASH_METHOD"] = "scrypt"
    make_user(email="target@example.org")
    db.session.close()  # hold no transaction while the threads work
    # The account's own ceiling (from all addresses together), low here so that 16
    # guesses from 16 addresses go past it.
    limit = app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"] = 5

    barrier = threading.Barrier(PARALLEL)
    statuses: list[int] = []
    errors: list[BaseException] = []

    def guess(n: int) -> None:
        client = app.test_client()
        try:
            barrier.wait(timeout=30)
            response = client.post(
                "/login",
                data={"email": "target@example.org", "password": f"wrong guess {n}"},
                environ_base={"REMOTE_ADDR": f"198.51.100.{n}"},
            )
            statuses.append(response.status_code)
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            errors.append(error)

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(PARALLEL)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert not errors, errors
    assert sorted(statuses) == [200] * limit + [429] * (PARALLEL - limit)
    attempts = db.session.scalars(sa.select(LoginAttempt)).all()
    assert len(attempts) == PARALLEL and not any(a.succeeded for a in attempts)
