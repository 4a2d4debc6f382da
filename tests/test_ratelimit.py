"""The rate limiter counts in a transaction of its own: the try is kept even when the
request then fails, and what the request had not committed is never committed by it."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from coordapp import ratelimit
from coordapp.extensions import db
from coordapp.models import Category, Organisation, RateLimitHit


@pytest.mark.commits  # a second connection: real commits, tables emptied after
def test_counting_a_try_never_commits_the_requests_work(app):
    with app.test_request_context("/rsvp/wrong"):
        db.session.add(Organisation(name="Half-made", category=Category.UN_AGENCY))
        assert ratelimit.hit_and_check("test", "198.51.100.7", limit=2, window_seconds=600)
        assert ratelimit.hit_and_check("test", "198.51.100.7", limit=2, window_seconds=600)
        assert not ratelimit.hit_and_check("test", "198.51.100.7", limit=2, window_seconds=600)
        db.session.rollback()  # the request fails

    with app.app_context():
        assert db.session.scalars(sa.select(Organisation.name)).all() == []
        hits = db.session.scalar(
            sa.select(sa.func.count(RateLimitHit.id)).where(RateLimitHit.bucket == "test")
        )
        assert hits == 3


@pytest.mark.commits
def test_a_failed_login_is_counted_and_nothing_else_is_committed(app, client):
    from coordapp.auth import service
    from coordapp.models import LoginAttempt
    from tests.factories import make_user

    make_user(email="someone@example.org")
    db.session.commit()
    with app.test_request_context("/login"):
        db.session.add(Organisation(name="Half-made", category=Category.UN_AGENCY))
        result = service._claim_attempt("someone@example.org", "198.51.100.8")
        assert result is not None
        db.session.rollback()
    with app.app_context():
        assert db.session.scalars(sa.select(Organisation.name)).all() == []
        assert db.session.scalar(sa.select(sa.func.count(LoginAttempt.id))) == 1
