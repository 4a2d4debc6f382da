"""The secretariat's results page of a scheduling poll with 500 people × 10 dates: how long
the grid page takes to render (target < 300 ms).

    .venv/bin/python bench/poll_grid.py            # SQLite in a temp dir
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench_x \
        .venv/bin/python bench/poll_grid.py

The poll is written with bulk INSERTs (tests/poll_bulk.py): 500 contacts over 10
organisations in 4 categories, 2 chairs, one key organisation, every answer given, a
comment each. The page is fetched through the test client, logged in as the secretariat
(so it includes the "choose the date" form and its lists of contacts and organisations),
after 2 warm-up requests; ROUNDS (default 20) timed requests follow. The page must list
every person. Last line: median and worst time, and the number of SQL queries per page.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from coordapp import create_app  # noqa: E402
from coordapp.extensions import db  # noqa: E402
from coordapp.models import Base, Role, User  # noqa: E402
from tests.poll_bulk import build_poll  # noqa: E402

PEOPLE = int(os.environ.get("PEOPLE", 500))
SLOTS = int(os.environ.get("SLOTS", 10))
ROUNDS = int(os.environ.get("ROUNDS", 20))
TARGET_MS = 300


def login_as(client, user: User) -> None:
    """A login session, as the login form starts."""
    from coordapp.auth.sessions import start_session

    token = start_session(db.session.get(User, user.id))
    db.session.commit()
    with client.session_transaction() as session:
        session["_user_id"] = token
        session["_fresh"] = True


def main() -> int:
    workdir = Path(tempfile.mkdtemp(prefix="coordapp-bench-"))
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{workdir / 'bench.sqlite'}"
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "bench-secret-key-0123456789abcdef0123456789",
            "MAIL_DELIVER_AFTER_COMMIT": False,
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        }
    )
    with app.app_context():
        Base.metadata.drop_all(db.engine)
        Base.metadata.create_all(db.engine)
        user = User(email="bench@example.org", name="Bench Secretariat", role=Role.SECRETARIAT)
        user.set_password("bench-password")
        db.session.add(user)
        db.session.commit()
        began = time.perf_counter()
        poll = build_poll(PEOPLE, SLOTS, tag="bench")
        meeting_id = poll.meeting_id
        print(
            f"set up on {url.split(':', 1)[0]}: {PEOPLE} people × {SLOTS} dates, "
            f"{(PEOPLE + 2) * SLOTS} answers, in {time.perf_counter() - began:.1f} s"
        )
        client = app.test_client()
        login_as(client, user)
        page_url = f"/meetings/{meeting_id}/poll/results"
        db.session.remove()
        for _ in range(2):
            client.get(page_url)

        statements = []

        def count(conn, cursor, statement, *args):
            statements.append(statement)

        times = []
        for round_ in range(ROUNDS):
            if round_ == 0:
                sa.event.listen(db.engine, "before_cursor_execute", count)
            began = time.perf_counter()
            response = client.get(page_url)
            times.append((time.perf_counter() - began) * 1000)
            if round_ == 0:
                sa.event.remove(db.engine, "before_cursor_execute", count)
            html = response.get_data(as_text=True)
            if response.status_code != 200 or html.count("data-respondent=") != PEOPLE + 2:
                print(f"wrong page: {response.status_code}", file=sys.stderr)
                return 1
        size_kb = len(response.get_data()) / 1024
        median, worst = statistics.median(times), max(times)
        verdict = "OK" if median < TARGET_MS else "OVER TARGET"
        print(
            f"results page {PEOPLE}×{SLOTS}: median {median:.0f} ms, worst {worst:.0f} ms "
            f"over {ROUNDS} requests, {size_kb:.0f} KiB, {len(statements)} queries "
            f"(target < {TARGET_MS} ms: {verdict})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
