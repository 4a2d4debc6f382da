"""`flask backup` / `flask restore`: what an administrator gets back, and what is refused.

Each test builds throw-away SQLite databases of its own (the cross-engine restore drill,
on PostgreSQL too, is tests/test_restore_drill.py)."""

from __future__ import annotations

import os

import pytest
import sqlalchemy as sa

from coordapp.demo import seed_demo_data
from coordapp.extensions import db
from coordapp.models import Contact, Organisation, User
from tests.backup_helpers import app_on, dispose, migrate, run, sqlite_url

pytestmark = pytest.mark.sqlite_only  # its own SQLite files, whichever the test database
PASSPHRASE = {"COORDAPP_BACKUP_PASSPHRASE": "correct horse battery staple"}


@pytest.fixture
def demo_source(tmp_path):
    """The demo network in a database of its own, and an archive of it."""
    source = app_on(sqlite_url(tmp_path, "source"))
    migrate(source)
    with source.app_context():
        seed_demo_data()
    yield source
    dispose(source)


def _counts(app) -> dict[str, int]:
    with app.app_context():
        names = sa.inspect(db.engine).get_table_names()
        with db.engine.connect() as conn:
            return {
                name: conn.execute(sa.text(f'SELECT COUNT(*) FROM "{name}"')).scalar()
                for name in names
                if name != "alembic_version"
            }


def test_encrypted_backup_restores_everything_and_the_wrong_passphrase_is_refused(
    demo_source, tmp_path
):
    archive = str(tmp_path / "network.backup")
    result = run(demo_source, "backup", archive, "--encrypt", env=PASSPHRASE)
    assert result.exit_code == 0, result.output
    assert "Backup written to" in result.output
    raw = open(archive, "rb").read()
    assert b"secretariat@demo.coordapp.org" not in raw  # sealed, not just compressed

    wrong = app_on(sqlite_url(tmp_path, "wrong"))
    refused = run(wrong, "restore", archive, env={"COORDAPP_BACKUP_PASSPHRASE": "guess"})
    assert refused.exit_code != 0
    assert "wrong passphrase" in refused.output
    dispose(wrong)

    target = app_on(sqlite_url(tmp_path, "target"))
    restored = run(target, "restore", archive, env=PASSPHRASE)
    assert restored.exit_code == 0, restored.output
    assert "every count and checksum matches" in restored.output
    assert _counts(target) == _counts(demo_source)
    assert sum(_counts(target).values()) > 100
    with target.app_context():
        secretariat = db.session.scalar(
            db.select(User).filter_by(email="secretariat@demo.coordapp.org")
        )
        assert secretariat.check_password("demo-password-2026")
    dispose(target)


def test_restore_refuses_a_database_that_holds_data(demo_source, tmp_path):
    archive = str(tmp_path / "network.backup")
    assert run(demo_source, "backup", archive).exit_code == 0
    result = run(demo_source, "restore", archive)
    assert result.exit_code != 0
    assert "refusing to restore into a database that holds data" in result.output


def test_restore_refuses_another_secret_key(demo_source, tmp_path):
    archive = str(tmp_path / "network.backup")
    assert run(demo_source, "backup", archive).exit_code == 0
    other = app_on(sqlite_url(tmp_path, "other"), SECRET_KEY="another-secret-key-" + "x" * 40)
    result = run(other, "restore", archive)
    assert result.exit_code != 0
    assert "SECRET_KEY differs" in result.output
    assert _counts(other) == {}  # nothing written, not even the schema
    dispose(other)


def test_restore_refuses_another_signing_key_passphrase(demo_source, tmp_path):
    archive = str(tmp_path / "network.backup")
    assert run(demo_source, "backup", archive).exit_code == 0  # the demo has a signing CA
    other = app_on(sqlite_url(tmp_path, "other"), SIGNING_KEY_PASSPHRASE="not the one used")
    result = run(other, "restore", archive)
    assert result.exit_code != 0
    assert "SIGNING_KEY_PASSPHRASE" in result.output
    dispose(other)


def test_a_damaged_or_cut_archive_is_refused_and_leaves_the_target_empty(demo_source, tmp_path):
    archive = str(tmp_path / "network.backup")
    assert run(demo_source, "backup", archive, "--encrypt", env=PASSPHRASE).exit_code == 0
    data = bytearray(open(archive, "rb").read())
    cut = tmp_path / "cut.backup"
    cut.write_bytes(bytes(data[: len(data) - 40]))
    data[len(data) // 2] ^= 0x01
    flipped = tmp_path / "flipped.backup"
    flipped.write_bytes(bytes(data))
    for broken, message in ((cut, "cut short"), (flipped, "changed or damaged")):
        target = app_on(sqlite_url(tmp_path, broken.stem))
        result = run(target, "restore", str(broken), env=PASSPHRASE)
        assert result.exit_code != 0
        assert message in result.output
        assert not any(_counts(target).values())
        dispose(target)


def test_an_older_backup_is_upgraded_to_the_current_schema(tmp_path):
    from coordapp.extensions import migrate as migrate_extension

    source = app_on(sqlite_url(tmp_path, "old"))
    with source.app_context():
        from alembic.script import ScriptDirectory

        config = migrate_extension.get_config()
        head = ScriptDirectory.from_config(config).get_current_head()
        older = ScriptDirectory.from_config(config).get_revision(head).down_revision
        older = older if isinstance(older, str) else older[0]  # a merge point: one parent
    migrate(source, older)
    with source.app_context(), db.engine.begin() as conn:  # as the older code wrote them
        conn.execute(
            sa.text(
                "INSERT INTO organisations (id, name, acronym, category, active, created_at) "
                "VALUES (1, 'Ministry of Labour', 'MoL', 'national_government', 1, "
                "'2026-01-05 10:00:00.000000')"
            )
        )
        conn.execute(
            sa.text(
                "INSERT INTO contacts "
                "(id, name, email, organisation_id, language, active, created_at) "
                "VALUES (1, 'Olga Labour', 'olga@mol.example.org', 1, 'ru', 1, "
                "'2026-01-05 10:00:00.000000')"
            )
        )
    archive = str(tmp_path / "old.backup")
    assert run(source, "backup", archive).exit_code == 0
    dispose(source)

    target = app_on(sqlite_url(tmp_path, "new"))
    result = run(target, "restore", archive)
    assert result.exit_code == 0, result.output
    assert f"upgraded from revision {older}" in result.output
    with target.app_context():
        assert db.session.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() == (
            head
        )
        contact = db.session.scalar(db.select(Contact).filter_by(email="olga@mol.example.org"))
        assert contact.organisation == db.session.get(Organisation, 1)
    dispose(target)
    assert os.path.exists(archive)
