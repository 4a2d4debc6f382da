"""One Alembic history builds the whole schema on an empty database, and the models
have nothing the migrations lack (`flask db check`)."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from tests.conftest import DATABASE_URL, IS_POSTGRES

PROJECT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _flask(*args: str, database_url: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, DATABASE_URL=database_url, FLASK_APP="wsgi")
    env.pop("TEST_DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "flask", *args],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def empty_database_url(tmp_path):
    if not IS_POSTGRES:
        yield f"sqlite:///{tmp_path / 'migrations.sqlite'}"
        return
    name = f"coordapp_migrations_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(DATABASE_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.engine.make_url(DATABASE_URL).set(database=name)
    yield url.render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_upgrade_builds_the_schema_and_check_finds_nothing_to_add(empty_database_url):
    upgrade = _flask("db", "upgrade", database_url=empty_database_url)
    assert upgrade.returncode == 0, upgrade.stderr
    check = _flask("db", "check", database_url=empty_database_url)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "No new upgrade operations detected" in check.stdout + check.stderr

    engine = sa.create_engine(empty_database_url)
    tables = set(sa.inspect(engine).get_table_names())
    engine.dispose()
    assert {"users", "organisations", "contacts", "series", "meetings", "audit_events"} <= tables

    _approved_minutes_never_change(empty_database_url)

    downgrade = _flask("db", "downgrade", "base", database_url=empty_database_url)
    assert downgrade.returncode == 0, downgrade.stderr


def test_there_is_one_history_with_a_single_head():
    heads = _flask("db", "heads", database_url="sqlite://")
    assert heads.returncode == 0, heads.stderr
    assert len([line for line in heads.stdout.splitlines() if "(head)" in line]) == 1


def _approved_minutes_never_change(url: str) -> None:
    """The database itself refuses edits of approved minutes (triggers), but lets an
    approved version become superseded."""
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO meetings (id, title, kind, starts_at, ends_at, timezone, language, "
                "status, created_at, updated_at, ics_sequence, reminder_days) VALUES (1, 'M', "
                "'regular', '2027-01-01 10:00:00', '2027-01-01 12:00:00', 'UTC', 'en', 'held', "
                "'2026-01-01 00:00:00', '2026-01-01 00:00:00', 0, 3)"
            )
        )
        conn.execute(
            sa.text(
                "INSERT INTO agenda_items (id, meeting_id, position, title, kind, "
                "duration_minutes, created_at) "
                "VALUES (1, 1, 0, 'Opening', 'opening', 10, '2026-01-01 00:00:00')"
            )
        )
        conn.execute(
            sa.text(
                "INSERT INTO minutes_versions (id, meeting_id, number, status, lock_version, "
                "created_at, opening_summary) VALUES "
                "(1, 1, 1, 'submitted', 1, '2026-01-01 00:00:00', 'Signed text')"
            )
        )
        conn.execute(
            sa.text(
                "INSERT INTO minutes_items (id, version_id, agenda_item_id, text, decisions, "
                "lock_version, updated_at) VALUES (1, 1, 1, 'Said', '[]', 1, '2026-01-01 00:00:00')"
            )
        )
        conn.execute(
            sa.text(
                "INSERT INTO stored_documents (id, kind, version_id, language, status, "
                "filename, content_type, created_at, signature_count, updated_at) VALUES "
                "(1, 'minutes', 1, 'en', 'ready', 'm.pdf', 'application/pdf', "
                "'2026-01-01 00:00:00', 2, '2026-01-01 00:00:00')"
            )
        )
        conn.execute(sa.text("UPDATE minutes_versions SET status = 'approved' WHERE id = 1"))
    for statement in (
        "UPDATE minutes_items SET text = 'Rewritten' WHERE id = 1",
        "DELETE FROM minutes_items WHERE id = 1",
        "UPDATE minutes_versions SET opening_summary = 'Rewritten' WHERE id = 1",
        "UPDATE minutes_versions SET status = 'draft' WHERE id = 1",
        "DELETE FROM minutes_versions WHERE id = 1",
        "INSERT INTO minutes_items (version_id, agenda_item_id, text, decisions, lock_version, "
        "updated_at) VALUES (1, 1, 'Added', '[]', 1, '2026-01-01 00:00:00')",
        "UPDATE stored_documents SET sha256 = 'forged' WHERE id = 1",
        "DELETE FROM stored_documents WHERE id = 1",
    ):
        with pytest.raises(sa.exc.DatabaseError, match="approved minutes never change"):
            with engine.begin() as conn:
                conn.execute(sa.text(statement))
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE minutes_versions SET status = 'superseded' WHERE id = 1"))
        assert conn.execute(sa.text("SELECT text FROM minutes_items")).scalar() == "Said"
    engine.dispose()


def test_poll_respondents_of_a_poll_with_dates_count_as_emailed(empty_database_url):
    """Migration 4b7d2e9a1c63: everyone asked in a poll that has a date has had its email
    (sent when asked, or with the first date); those in a poll without a date have not."""
    before = _flask("db", "upgrade", "f3b8c1d07a42", database_url=empty_database_url)
    assert before.returncode == 0, before.stderr
    engine = sa.create_engine(empty_database_url)
    at = {
        "at": datetime(2030, 1, 1, 9, 0, tzinfo=UTC),
        "end": datetime(2030, 1, 1, 11, 0, tzinfo=UTC),
    }
    with engine.begin() as conn:

        def insert(sql: str, **values) -> int:
            return conn.execute(sa.text(sql + " RETURNING id"), {**at, **values}).scalar_one()

        organisation = insert(
            "INSERT INTO organisations (name, category, active, created_at)"
            " VALUES ('UNDP', 'un_agency', TRUE, :at)"
        )
        respondents = {}
        for name in ("with a date", "without a date"):
            meeting = insert(
                "INSERT INTO meetings (title, kind, starts_at, ends_at, timezone, language,"
                " status, created_at, updated_at) VALUES (:title, 'regular', :at, :end,"
                " 'Europe/Minsk', 'en', 'draft', :at, :at)",
                title=name,
            )
            poll = insert(
                "INSERT INTO polls (meeting_id, deadline, visibility, status, created_at)"
                " VALUES (:meeting, :end, 'names', 'open', :at)",
                meeting=meeting,
            )
            if name == "with a date":
                insert(
                    "INSERT INTO poll_slots (poll_id, starts_at, ends_at, created_at)"
                    " VALUES (:poll, :at, :end, :at)",
                    poll=poll,
                )
            contact = insert(
                "INSERT INTO contacts (name, email, language, organisation_id, active,"
                " created_at) VALUES (:name, :email, 'en', :organisation, TRUE, :at)",
                name=name,
                email=f"{poll}@example.org",
                organisation=organisation,
            )
            respondents[name] = insert(
                "INSERT INTO poll_respondents (poll_id, contact_id, link_id, reminders_sent,"
                " asked_at) VALUES (:poll, :contact, :link, 0, :at)",
                poll=poll,
                contact=contact,
                link=uuid.uuid4().hex,
            )
    after = _flask("db", "upgrade", database_url=empty_database_url)
    assert after.returncode == 0, after.stderr
    with engine.connect() as conn:
        emailed = dict(conn.execute(sa.text("SELECT id, emailed_at FROM poll_respondents")).all())
    engine.dispose()
    assert emailed[respondents["with a date"]] is not None
    assert emailed[respondents["without a date"]] is None


def test_stored_audit_events_get_the_feature_verb_codes(empty_database_url):
    """Migration 9d3e5b7a2c18: events already in the log get their new code (and so their
    label); a code it does not know is left alone; downgrade gives the old codes back."""
    before = _flask("db", "upgrade", "4b7d2e9a1c63", database_url=empty_database_url)
    assert before.returncode == 0, before.stderr
    engine = sa.create_engine(empty_database_url)
    old = ["meeting_created", "poll.slot_add", "invitation.answer", "mail.retry", "something_old"]
    with engine.begin() as conn:
        for code in old:
            conn.execute(
                sa.text(
                    "INSERT INTO audit_events (at, action, object_type) VALUES (:at, :code, 'x')"
                ),
                {"at": datetime(2030, 1, 1, tzinfo=UTC), "code": code},
            )

    def codes() -> list[str]:
        with engine.connect() as conn:
            return list(conn.scalars(sa.text("SELECT action FROM audit_events ORDER BY id")))

    after = _flask("db", "upgrade", "9d3e5b7a2c18", database_url=empty_database_url)
    assert after.returncode == 0, after.stderr
    assert codes() == [
        "meetings.create",
        "polls.slot_add",
        "invitations.answer",
        "outbox.retry",
        "something_old",
    ]
    back = _flask("db", "downgrade", "4b7d2e9a1c63", database_url=empty_database_url)
    assert back.returncode == 0, back.stderr
    assert codes() == old
    engine.dispose()


def test_agenda_and_report_pdfs_move_into_one_table_with_nothing_lost(empty_database_url):
    """Migration c4a8e2f0d9b1: the rows of generated_documents and report_documents, bytes
    and lease included, are in stored_documents; agenda PDFs keep their ids (and get
    their meeting's language), report PDFs get ids after them and the audit log follows;
    downgrading puts them back."""
    before = _flask("db", "upgrade", "a4c2e8d1f907", database_url=empty_database_url)
    assert before.returncode == 0, before.stderr
    engine = sa.create_engine(empty_database_url)
    at = datetime(2030, 1, 1, 9, 0, tzinfo=UTC)
    with engine.begin() as conn:

        def insert(sql: str, **values) -> int:
            return conn.execute(sa.text(sql + " RETURNING id"), {"at": at, **values}).scalar_one()

        meeting = insert(
            "INSERT INTO meetings (title, kind, starts_at, ends_at, timezone, language,"
            " status, created_at, updated_at) VALUES ('M', 'regular', :at, :end,"
            " 'Europe/Minsk', 'ru', 'draft', :at, :at)",
            end=datetime(2030, 1, 1, 11, 0, tzinfo=UTC),
        )
        series = insert(
            "INSERT INTO series (name, uses_gcm, created_at, feed_link_id)"
            " VALUES ('Network', FALSE, :at, 'feed')"
        )
        agenda = [
            insert(
                "INSERT INTO generated_documents (kind, meeting_id, status, filename,"
                " content_type, sha256, size, data, created_at, finished_at, claimed_at)"
                " VALUES ('agenda', :meeting, :status, 'agenda.pdf', 'application/pdf',"
                " :sha, :size, :data, :at, :at, :at)",
                meeting=meeting,
                status=status,
                data=data,
                size=len(data) if data else None,
                sha="ab" * 32 if data else None,
            )
            for status, data in (("ready", b"%PDF-agenda"), ("pending", None))
        ]
        reports = [
            insert(
                "INSERT INTO report_documents (series_id, period_start, period_end, language,"
                " status, error, filename, content_type, data, created_at, claimed_at,"
                " claim_token) VALUES (:series, '2025-01-01', '2025-12-31', :language, :status,"
                " :error, 'report.pdf', 'application/pdf', :data, :at, :at, :token)",
                series=series,
                language=language,
                status=status,
                error="RuntimeError: boom" if status == "failed" else None,
                data=b"%PDF-report" if status == "ready" else None,
                token="t" * 32 if status == "pending" else None,
            )
            for language, status in (("be", "ready"), ("en", "failed"), ("ru", "pending"))
        ]
        audited = insert(
            "INSERT INTO audit_events (at, action, object_type, object_id)"
            " VALUES (:at, 'report_pdf_requested', 'ReportDocument', :id)",
            id=reports[0],
        )

    after = _flask("db", "upgrade", database_url=empty_database_url)
    assert after.returncode == 0, after.stderr
    offset = max(agenda)
    with engine.connect() as conn:
        rows = {
            row.id: row
            for row in conn.execute(
                sa.text(
                    "SELECT id, kind, meeting_id, series_id, language, status, error, data,"
                    " claim_token, period_end FROM stored_documents"
                )
            )
        }
        audit_object = conn.execute(
            sa.text("SELECT object_id FROM audit_events WHERE id = :id"), {"id": audited}
        ).scalar_one()
        tables = set(sa.inspect(conn).get_table_names())
    assert "generated_documents" not in tables and "report_documents" not in tables
    assert sorted(rows) == sorted(agenda + [r + offset for r in reports])
    ready_agenda = rows[agenda[0]]
    assert (ready_agenda.kind, ready_agenda.meeting_id, ready_agenda.language) == (
        "agenda",
        meeting,
        "ru",
    )
    assert bytes(ready_agenda.data) == b"%PDF-agenda" and rows[agenda[1]].status == "pending"
    be, failed, pending = (rows[r + offset] for r in reports)
    assert (be.kind, be.series_id, be.language, bytes(be.data)) == (
        "report",
        series,
        "be",
        b"%PDF-report",
    )
    assert str(be.period_end) == "2025-12-31"
    assert failed.error == "RuntimeError: boom" and pending.claim_token == "t" * 32
    assert audit_object == reports[0] + offset

    # New rows get fresh ids (PostgreSQL's sequence follows the moved rows).
    with engine.begin() as conn:
        new = conn.execute(
            sa.text(
                "INSERT INTO stored_documents (kind, meeting_id, language, status, filename,"
                " content_type, created_at) VALUES ('agenda', :meeting, 'en', 'pending', 'a.pdf',"
                " 'application/pdf', :at) RETURNING id"
            ),
            {"meeting": meeting, "at": at},
        ).scalar_one()
    assert new > max(rows)

    back = _flask("db", "downgrade", "a4c2e8d1f907", database_url=empty_database_url)
    assert back.returncode == 0, back.stderr
    with engine.connect() as conn:
        agenda_back = conn.execute(sa.text("SELECT COUNT(*) FROM generated_documents")).scalar()
        reports_back = conn.execute(
            sa.text("SELECT language, status FROM report_documents ORDER BY id")
        ).all()
    engine.dispose()
    assert agenda_back == 3
    assert [tuple(r) for r in reports_back] == [
        ("be", "ready"),
        ("en", "failed"),
        ("ru", "pending"),
    ]


def test_minutes_pdfs_move_into_the_stored_documents_and_stay_frozen(empty_database_url):
    """Migration d7e3a9c5b1f4: a signed PDF of approved minutes moves from
    minutes_documents into stored_documents, bytes, hashes and signatures included, and
    the database still refuses to change it."""
    before = _flask("db", "upgrade", "c4a8e2f0d9b1", database_url=empty_database_url)
    assert before.returncode == 0, before.stderr
    engine = sa.create_engine(empty_database_url)
    at = {"at": "2026-01-01 00:00:00"}
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO meetings (id, title, kind, starts_at, ends_at, timezone, language,"
                " status, created_at, updated_at, ics_sequence, reminder_days) VALUES (1, 'M',"
                " 'regular', '2027-01-01 10:00:00', '2027-01-01 12:00:00', 'UTC', 'be', 'held',"
                " :at, :at, 0, 3)"
            ),
            at,
        )
        conn.execute(
            sa.text(
                "INSERT INTO minutes_versions (id, meeting_id, number, status, lock_version,"
                " created_at) VALUES (1, 1, 2, 'submitted', 1, :at)"
            ),
            at,
        )
        conn.execute(
            sa.text(
                "INSERT INTO minutes_documents (id, version_id, status, unsigned_sha256, pdf,"
                " sha256, size, signature_count, fields, rendered_at, updated_at) VALUES"
                " (1, 1, 'ready', 'u', :pdf, 's', 9, 2, '{\"chair-1\": \"Chair1\"}', :at, :at)"
            ),
            {"pdf": b"%PDF-sign", **at},
        )
        conn.execute(sa.text("UPDATE minutes_versions SET status = 'approved' WHERE id = 1"))

    after = _flask("db", "upgrade", database_url=empty_database_url)
    assert after.returncode == 0, after.stderr
    with engine.connect() as conn:
        row = conn.execute(
            sa.text(
                "SELECT kind, version_id, language, filename, data, sha256, unsigned_sha256,"
                " signature_count, fields FROM stored_documents"
            )
        ).one()
    assert (row.kind, row.version_id, row.language, row.filename) == (
        "minutes",
        1,
        "be",
        "minutes-1-v2.pdf",
    )
    assert bytes(row.data) == b"%PDF-sign" and (row.sha256, row.unsigned_sha256) == ("s", "u")
    assert row.signature_count == 2 and "chair-1" in str(row.fields)
    with pytest.raises(sa.exc.DatabaseError, match="approved minutes never change"):
        with engine.begin() as conn:
            conn.execute(sa.text("UPDATE stored_documents SET sha256 = 'forged'"))
    engine.dispose()


def test_existing_contacts_and_organisations_get_their_search_text(empty_database_url):
    """Migration e8b4c2f6a1d3: the directory's existing rows become searchable, case-folded
    whatever the alphabet."""
    before = _flask("db", "upgrade", "c6e2a9d4f1b8", database_url=empty_database_url)
    assert before.returncode == 0, before.stderr
    engine = sa.create_engine(empty_database_url)
    at = {"at": datetime(2030, 1, 1, 9, 0, tzinfo=UTC)}
    with engine.begin() as conn:
        organisation = conn.execute(
            sa.text(
                "INSERT INTO organisations (name, acronym, category, active, created_at)"
                " VALUES ('Министерство ТРУДА', 'МТ', 'national_government', TRUE, :at)"
                " RETURNING id"
            ),
            at,
        ).scalar_one()
        conn.execute(
            sa.text(
                "INSERT INTO contacts (name, email, language, organisation_id, active,"
                " created_at) VALUES ('Анна ПЕТРОВА', 'a.petrova@mintrud.by', 'ru', :org,"
                " TRUE, :at)"
            ),
            {**at, "org": organisation},
        )
    after = _flask("db", "upgrade", database_url=empty_database_url)
    assert after.returncode == 0, after.stderr
    with engine.connect() as conn:
        contact = conn.execute(sa.text("SELECT search_text FROM contacts")).scalar_one()
        org = conn.execute(sa.text("SELECT search_text FROM organisations")).scalar_one()
    engine.dispose()
    assert contact == "анна петрова\na.petrova@mintrud.by"
    assert org == "министерство труда\nмт"
