"""The restore drill, both directions: the demo network with approved, doubly signed
minutes, poll answers, a published summary with a photo and its audit log is backed up
from SQLite, restored into a fresh PostgreSQL database, backed up from there and restored
into a fresh SQLite file. After each restore: every table's rows equal the original's,
the signed PDF's bytes are identical and `pdfsig` still finds both signatures valid,
personal links issued before the backup (RSVP, poll, calendar feed) open the same
records, logins work, and a chair can still sign (the keys decrypt). One PDF rendering
for the drill, one more for the new signature at the end."""

from __future__ import annotations

import io
import subprocess

import pytest
import sqlalchemy as sa
from PIL import Image

from coordapp.demo import seed_demo_data
from coordapp.extensions import db
from coordapp.models import (
    Base,
    Invitation,
    Meeting,
    MeetingStatus,
    MinutesDocument,
    MinutesVersion,
    Role,
    Series,
    User,
)
from tests.backup_helpers import app_on, dispose, migrate, postgres_database, run, sqlite_url

pytestmark = pytest.mark.postgres_only  # needs both engines: PostgreSQL from TEST_DATABASE_URL

DEMO_PASSWORD = "demo-password-2026"
CONFIG = {"BASE_URL": "http://coordapp.test", "SERVER_NAME": None}


def _photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (30, 120, 200)).save(out, "JPEG")
    return out.getvalue()


def _sign_and_publish() -> dict:
    """Approve the demo's held meeting (both chairs sign: one rendering, two signatures),
    publish its public summary with a photo; the personal links to try after restore."""
    from coordapp import links
    from coordapp.approval import service as approval
    from coordapp.calendar.routes import series_feed_url
    from coordapp.minutes import service as minutes
    from coordapp.models import PollRespondent
    from coordapp.outcomes import service as outcomes

    secretariat = db.session.scalar(db.select(User).filter_by(role=Role.SECRETARIAT))
    meeting = db.session.scalar(db.select(Meeting).filter_by(status=MeetingStatus.HELD))
    version = minutes.current_version(meeting)
    approval.submit_for_approval(version, secretariat)
    db.session.commit()
    approval.request_rendering(version.id)
    chairs = [chair.user for chair in meeting.chairs]
    for chair in chairs:
        row = approval.approve(db.session.get(MinutesVersion, version.id), chair)
        db.session.commit()
        approval.request_signature(row.id)
    db.session.expire_all()
    assert db.session.get(MinutesVersion, version.id).status.value == "approved"

    summary = outcomes.start_draft(
        meeting,
        language="en",
        languages=["en", "ru", "be"],
        name_chairs=False,
        name_organisations=True,
        by=secretariat,
    )
    outcomes.save_draft(
        summary,
        title=summary.title,
        language="en",
        body=summary.body,
        photo_alt="Partners around the table",
        photo_bytes=_photo(),
        remove_photo=False,
        lock_version=summary.lock_version,
        languages=["en", "ru", "be"],
        max_photo_bytes=5_000_000,
        by=secretariat,
    )
    outcomes.publish(summary, meeting, by=secretariat)
    db.session.commit()

    invitation = db.session.scalar(db.select(Invitation).order_by(Invitation.id))
    respondent = db.session.scalar(
        db.select(PollRespondent).filter(
            PollRespondent.answered_at.is_not(None), PollRespondent.contact_id.is_not(None)
        )
    )
    series = db.session.get(Series, meeting.series_id)
    return {
        "meeting_id": meeting.id,
        "version_id": version.id,
        "chair_emails": [chair.email for chair in chairs],
        "secretariat": secretariat.email,
        "slug": summary.slug,
        "rsvp": (links.rsvp_url(invitation), invitation.contact.name),
        "poll": (links.poll_url(respondent), respondent.contact.name),
        "feed": (series_feed_url(series), meeting.title),
    }


def _all_rows(app) -> dict[str, list[tuple]]:
    """Every table's rows as the app reads them (its own column types), by primary key."""
    with app.app_context(), db.engine.connect() as conn:
        return {
            table.name: sorted(
                (tuple(row) for row in conn.execute(sa.select(table))),
                key=lambda row, t=table: tuple(
                    row[list(t.columns).index(column)] for column in t.primary_key.columns
                ),
            )
            for table in Base.metadata.sorted_tables
        }


def _signed_pdf(app, version_id: int) -> bytes:
    with app.app_context():
        document = db.session.scalar(db.select(MinutesDocument).filter_by(version_id=version_id))
        return bytes(document.pdf)


def _pdfsig_valid(pdf: bytes, tmp_path, name: str) -> int:
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(pdf)
    report = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, timeout=60)
    return report.stdout.count("Signature Validation: Signature is Valid.")


def _path_of(url: str) -> str:
    return url.removeprefix(CONFIG["BASE_URL"])


def _check_restored(restored, facts, rows, pdf, tmp_path, name) -> None:
    assert _all_rows(restored) == rows
    assert _signed_pdf(restored, facts["version_id"]) == pdf
    assert _pdfsig_valid(pdf, tmp_path, name) == 2

    client = restored.test_client()
    for link in ("rsvp", "poll", "feed"):
        url, shows = facts[link]
        response = client.get(_path_of(url))
        assert response.status_code == 200, (link, response.status_code)
        assert shows in response.get_data(as_text=True), link
    assert client.get(f"/outcomes/{facts['slug']}/photo").status_code == 200

    login = client.post("/login", data={"email": facts["secretariat"], "password": DEMO_PASSWORD})
    assert login.status_code == 302, login.get_data(as_text=True)[:500]
    assert client.get(f"/meetings/{facts['meeting_id']}").status_code == 200

    with restored.app_context():  # the chairs' keys still decrypt with the secrets
        from cryptography.hazmat.primitives.serialization import Encoding

        from coordapp.models import SigningIdentity
        from coordapp.signing.identities import identity_for

        for email in facts["chair_emails"]:
            chair = db.session.scalar(db.select(User).filter_by(email=email))
            stored = db.session.scalar(db.select(SigningIdentity).filter_by(user_id=chair.id))
            cert, key, _ = identity_for(chair)  # decrypts the stored key, or raises
            assert key is not None
            assert cert.public_bytes(Encoding.PEM).decode() == stored.certificate_pem  # same
        db.session.rollback()


def _chair_signs_a_new_version(app, facts) -> None:
    from coordapp.approval import service as approval

    with app.app_context():
        version = db.session.get(MinutesVersion, facts["version_id"])
        secretariat = db.session.scalar(db.select(User).filter_by(email=facts["secretariat"]))
        chair = db.session.scalar(db.select(User).filter_by(email=facts["chair_emails"][0]))
        amended = approval.create_amendment(version, "A typo in item 2", secretariat)
        db.session.commit()
        approval.submit_for_approval(amended, secretariat)
        db.session.commit()
        approval.request_rendering(amended.id)
        row = approval.approve(db.session.get(MinutesVersion, amended.id), chair)
        db.session.commit()
        approval.request_signature(row.id)
        db.session.expire_all()
        assert approval.approval_of(amended, chair).status.value == "signed"
        document = db.session.scalar(db.select(MinutesDocument).filter_by(version_id=amended.id))
        assert document.pdf is not None


def test_restore_drill_sqlite_to_postgresql_and_back(tmp_path):
    source = app_on(sqlite_url(tmp_path, "source"), **CONFIG)
    migrate(source)
    with source.app_context():
        seed_demo_data()
        facts = _sign_and_publish()
    rows = _all_rows(source)
    pdf = _signed_pdf(source, facts["version_id"])
    assert rows["poll_answers"] and rows["audit_events"] and rows["outcome_photos"]
    first = str(tmp_path / "from-sqlite.backup")
    assert run(source, "backup", first).exit_code == 0
    dispose(source)

    with postgres_database() as url:
        on_postgres = app_on(url, **CONFIG)
        restored = run(on_postgres, "restore", first)
        assert restored.exit_code == 0, restored.output
        _check_restored(on_postgres, facts, rows, pdf, tmp_path, "on-postgres")
        second = str(tmp_path / "from-postgresql.backup")
        rows = _all_rows(on_postgres)  # now with the login just made
        assert run(on_postgres, "backup", second).exit_code == 0
        # New rows after a restore: PostgreSQL's sequences were moved past the loaded ids.
        _chair_signs_a_new_version(on_postgres, facts)
        dispose(on_postgres)

    back = app_on(sqlite_url(tmp_path, "back"), **CONFIG)
    restored = run(back, "restore", second)
    assert restored.exit_code == 0, restored.output
    _check_restored(back, facts, rows, pdf, tmp_path, "back-on-sqlite")
    dispose(back)
