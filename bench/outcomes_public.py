"""The public pages of meeting summaries with many published summaries in one series:
how many SQL statements and how long the public list, the Atom feed and one summary page
take, for 10 and for 200 published summaries (each published twice, with a photo).

    .venv/bin/python bench/outcomes_public.py            # SQLite in a temp dir
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench_x \
        .venv/bin/python bench/outcomes_public.py

The summaries are written through the service (start, save with a photo, publish, save,
publish again) on meetings whose minutes are approved. Last lines: the figures.
"""

from __future__ import annotations

import io
import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402
from PIL import Image  # noqa: E402

from coordapp import create_app  # noqa: E402
from coordapp.extensions import db  # noqa: E402
from coordapp.models import Base, Role, Series, User  # noqa: E402
from coordapp.outcomes import service  # noqa: E402
from tests.factories import make_approved_meeting  # noqa: E402

SIZES = (10, 200)
LANGUAGES = ["en", "ru", "be"]
REPEAT = 20


def photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (1600, 1067), (40, 90, 160)).save(out, "JPEG")
    return out.getvalue()


def publish_many(series: Series, user: User, start: int, count: int) -> str:
    data, slug = photo(), ""
    for n in range(start, start + count):
        meeting = make_approved_meeting(
            series=series,
            title=f"Meeting {n}",
            starts_at=datetime(2020, 1, 1, 8, tzinfo=UTC) + timedelta(days=7 * n),
        )
        summary = service.start_draft(
            meeting,
            language="en",
            languages=LANGUAGES,
            name_chairs=False,
            name_organisations=False,
            by=user,
        )
        for body_end in ("", "\n\nUpdated."):
            service.save_draft(
                summary,
                title=summary.title,
                language="en",
                body=summary.body + body_end,
                photo_alt="The meeting room",
                photo_bytes=data if not body_end else None,
                remove_photo=False,
                lock_version=summary.lock_version,
                languages=LANGUAGES,
                max_photo_bytes=5 * 1024 * 1024,
                by=user,
            )
            service.publish(summary, meeting, by=user)
        db.session.commit()
        slug = summary.slug
    return slug


def measure(client, url: str) -> tuple[int, float]:
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    client.get(url)  # warm-up
    sa.event.listen(db.engine, "before_cursor_execute", count)
    t0 = time.perf_counter()
    for _ in range(REPEAT):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
    seconds = (time.perf_counter() - t0) / REPEAT
    sa.event.remove(db.engine, "before_cursor_execute", count)
    return len(statements) // REPEAT, seconds


def main() -> int:
    workdir = Path(tempfile.mkdtemp(prefix="coordapp-bench-"))
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{workdir / 'bench.sqlite'}"
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "bench-secret-key-0123456789abcdef0123456789",
            "WTF_CSRF_ENABLED": False,
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        }
    )
    with app.app_context():
        Base.metadata.drop_all(db.engine)
        Base.metadata.create_all(db.engine)
        user = User(email="bench@example.org", name="Bench Secretariat", role=Role.SECRETARIAT)
        user.set_password("bench-password")
        series = Series(name="UN Country Network on Migration")
        db.session.add_all([user, series])
        db.session.commit()
        client = app.test_client()
        published, figures = 0, []
        for size in SIZES:
            t0 = time.perf_counter()
            slug = publish_many(series, user, published, size - published)
            per_summary = (time.perf_counter() - t0) / (size - published)
            published = size
            for name, path in (
                ("list", f"/outcomes/series/{series.id}"),
                ("feed", f"/outcomes/series/{series.id}/feed.atom"),
                ("page", f"/outcomes/{slug}"),
                ("photo", f"/outcomes/{slug}/photo"),
            ):
                queries, seconds = measure(client, path)
                figures.append((size, name, queries, seconds))
            print(
                f"{size} summaries: writing one (start, photo, 2 publications) "
                f"{per_summary * 1000:.0f} ms"
            )
        for size, name, queries, seconds in figures:
            print(f"{size:>4} summaries  {name:<5} {queries} statements  {seconds * 1000:7.1f} ms")
        db.session.remove()
        Base.metadata.drop_all(db.engine)
    return 0


if __name__ == "__main__":
    sys.exit(main())
