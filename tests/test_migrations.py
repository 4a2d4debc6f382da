"""One Alembic history builds the whole schema on an empty database, and the models
have nothing the migrations lack (`flask db check`)."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import pytest
import sqlalchemy as sa

from tests.conftest import DATABASE_URL, IS_POSTGRES

PROJECT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _flask(*args: str, database_url: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, DATABASE_URL=database_url, FLASK_APP="wsgi")
    env.pop("TEST_DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "flask", *args],
        cwd=PROJECT, env=env, capture_output=True, text=True, timeout=120,
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

    downgrade = _flask("db", "downgrade", "base", database_url=empty_database_url)
    assert downgrade.returncode == 0, downgrade.stderr


def test_there_is_one_history_with_a_single_head():
    heads = _flask("db", "heads", database_url="sqlite://")
    assert heads.returncode == 0, heads.stderr
    assert len([line for line in heads.stdout.splitlines() if "(head)" in line]) == 1
