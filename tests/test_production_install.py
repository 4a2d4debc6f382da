"""A production install follows the README and speaks the reader's language.

The README's production commands run verbatim on a fresh `git clone` of this repository
(only the listening address and the number of processes changed; the shared virtualenv is
the one whose `bin/` is on the PATH, so `pip install -r requirements.txt` finds everything
installed). A Russian invitee's email, written by the worker, and their RSVP page, served by
gunicorn, are then in Russian. Without compiled catalogues the app refuses to start in
production and warns elsewhere.
"""

from __future__ import annotations

import email
import email.policy
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from coordapp import create_app, i18n
from tests.conftest import test_config

PROJECT_ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
WAIT_SECONDS = 60
STOP_SECONDS = 20

# After the README's steps: a meeting and one Russian-speaking invitee (the worker writes
# the invitation in the contact's language).
INVITE_SCRIPT = """
from datetime import UTC, datetime, timedelta

from coordapp import create_app
from coordapp.extensions import db
from coordapp.invitations.invite import invite_contacts
from coordapp.models import Category, Contact, Meeting, MeetingStatus, Organisation

app = create_app()
with app.app_context():
    starts = datetime.now(UTC) + timedelta(days=30)
    meeting = Meeting(
        title="Install check",
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        timezone="Europe/Minsk",
        status=MeetingStatus.SCHEDULED,
        language="ru",
    )
    org = Organisation(name="Operations", category=Category.OTHER)
    contact = Contact(name="Ivan", email="ivan@example.org", organisation=org, language="ru")
    db.session.add_all([meeting, org, contact])
    db.session.flush()
    invite_contacts(meeting, [contact], by=None)
    db.session.commit()
"""


def readme_production_commands() -> list[str]:
    """The shell commands of the README's production steps (continuations joined, comments
    dropped)."""
    readme = (PROJECT_ROOT / "README.md").read_text()
    section = readme.split("\n## Production", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.S).group(1)
    commands, current = [], ""
    for line in block.splitlines():
        current += line
        if current.endswith("\\"):
            current = current[:-1]
            continue
        command = re.sub(r"\s+#.*$", "", current).strip()
        if command:
            commands.append(re.sub(r"\s+", " ", command))
        current = ""
    return commands


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(condition, what: str, processes: list[subprocess.Popen], logs: list[Path]):
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        for process in processes:
            assert process.poll() is None, "\n".join(log.read_text() for log in logs)
        result = condition()
        if result:
            return result
        time.sleep(0.3)
    raise AssertionError(
        f"no {what} in {WAIT_SECONDS} s:\n" + "\n".join(p.read_text() for p in logs)
    )


def _page(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.read().decode()
    except OSError:
        return None


def test_readme_production_steps_on_a_fresh_clone_serve_russian_pages_and_emails(tmp_path):
    commands = readme_production_commands()
    assert any(c.startswith("pybabel compile") for c in commands), commands
    clone = tmp_path / "clone"
    subprocess.run(
        ["git", "clone", "--quiet", str(PROJECT_ROOT), str(clone)], check=True, timeout=120
    )
    assert not list(clone.glob("translations/*/LC_MESSAGES/*.mo"))
    port = _free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("COORDAPP_", "MAIL_", "HUEY_", "REDIS_", "DATABASE_"))
        and key not in {"SECRET_KEY", "BASE_URL", "FLASK_APP", "DEFAULT_LANGUAGE"}
    }
    env.update(
        PATH=f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}",
        COORDAPP_ENV="production",
        SECRET_KEY=secrets.token_hex(32),
        DATABASE_URL=f"sqlite:///{tmp_path / 'app.sqlite'}",
        MAIL_FILE_DIR=str(tmp_path / "mail"),
        BASE_URL=f"http://127.0.0.1:{port}",
        PIP_DISABLE_PIP_VERSION_CHECK="1",
    )
    processes: list[subprocess.Popen] = []
    logs: list[Path] = []
    try:
        for number, command in enumerate(commands):
            if command.startswith(("gunicorn", "huey_consumer")):
                # Serving commands: started in the background, on this test's own port
                # and with fewer processes (the machine is shared).
                command = command.replace("0.0.0.0:8000", f"127.0.0.1:{port}")
                command = re.sub(r"--workers \d+", "--workers 1", command)
                log = tmp_path / f"{number}.log"
                logs.append(log)
                with open(log, "w") as out:
                    # A session of its own: the shell and the server it starts (and a
                    # gunicorn master's workers) are stopped together, as one group.
                    processes.append(
                        subprocess.Popen(
                            command,
                            shell=True,
                            cwd=clone,
                            env=env,
                            stdout=out,
                            stderr=out,
                            start_new_session=True,
                        )
                    )
                continue
            done = subprocess.run(
                command,
                shell=True,
                cwd=clone,
                env=env,
                input="install-check-password\n",
                capture_output=True,
                text=True,
                timeout=300,
            )
            assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
        assert len(processes) == 2, commands

        done = subprocess.run(
            [sys.executable, "-c", INVITE_SCRIPT],
            cwd=clone,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr

        mail_dir = tmp_path / "mail"
        sent = _wait_for(lambda: list(mail_dir.glob("*.eml")), "email", processes, logs)
        message = email.message_from_bytes(sent[0].read_bytes(), policy=email.policy.default)
        text = message.get_body(("plain",)).get_content()
        assert "Install check" in message["Subject"]
        assert "Приглашение" in message["Subject"], message["Subject"]
        assert "Ваш ответ" in text or "ответ" in text, text
        link = re.search(rf"http://127\.0\.0\.1:{port}/\S*rsvp/\S+", text).group(0)

        page = _wait_for(lambda: _page(link), "RSVP page", processes, logs)
        assert 'lang="ru"' in page
        for label in ("Ваш ответ", "Заседание", "Начало"):
            assert label in page, label
        assert "Your answer" not in page
    finally:
        for process in processes:
            _signal_group(process, signal.SIGTERM)
        deadline = time.monotonic() + STOP_SECONDS  # gunicorn stops its workers first
        while _running_in(clone) and time.monotonic() < deadline:
            time.sleep(0.1)
        left = _running_in(clone)
        for process in processes:  # never left to load the machine for the rest of the run
            _signal_group(process, signal.SIGKILL)
            process.wait(timeout=10)
        shutil.rmtree(clone, ignore_errors=True)
    assert not left, f"the README's servers outlived the test: {left}"


def _signal_group(process: subprocess.Popen, number: int) -> None:
    try:
        os.killpg(process.pid, number)
    except ProcessLookupError:
        pass


def _running_in(directory: Path) -> list[int]:
    """The processes whose working directory is `directory` (Linux's /proc)."""
    pids = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and Path(os.readlink(entry / "cwd")) == directory:
                pids.append(int(entry.name))
        except OSError:  # gone meanwhile, or not ours to read
            continue
    return pids


def _catalogues(tmp_path: Path, compiled: bool) -> Path:
    for code in ("en", "ru", "be"):
        folder = tmp_path / code / "LC_MESSAGES"
        folder.mkdir(parents=True)
        shutil.copy(PROJECT_ROOT / "translations" / code / "LC_MESSAGES" / "messages.po", folder)
        if compiled:
            (folder / "messages.mo").write_bytes(b"")
    return tmp_path


def test_uncompiled_or_outdated_catalogues_are_named(tmp_path):
    translations = _catalogues(tmp_path, compiled=True)
    assert i18n.stale_catalogues(translations, ["en", "ru", "be"]) == []
    (translations / "be" / "LC_MESSAGES" / "messages.mo").unlink()
    ru_mo = translations / "ru" / "LC_MESSAGES" / "messages.mo"
    os.utime(ru_mo, (time.time() - 60, time.time() - 60))
    problems = i18n.stale_catalogues(translations, ["en", "ru", "be"])
    assert problems == [
        "ru: messages.mo is older than messages.po",
        "be: messages.mo was never compiled",
    ]


def test_production_refuses_to_start_without_compiled_catalogues(tmp_path, monkeypatch):
    translations = _catalogues(tmp_path, compiled=False)
    monkeypatch.setattr(i18n, "stale_catalogues", _stale_in(translations))
    with pytest.raises(RuntimeError, match="pybabel compile"):
        create_app(test_config(ENV_NAME="production"))


def test_development_warns_without_compiled_catalogues(tmp_path, monkeypatch, caplog):
    translations = _catalogues(tmp_path, compiled=False)
    monkeypatch.setattr(i18n, "stale_catalogues", _stale_in(translations))
    create_app(test_config())
    assert "ru: messages.mo was never compiled" in caplog.text
    assert "pybabel compile" in caplog.text


def _stale_in(translations: Path):
    real = i18n.stale_catalogues

    def stale(_translations_dir, codes):
        return real(translations, codes)

    return stale


def test_make_install_compiles_the_catalogues():
    dry_run = subprocess.run(
        ["make", "-n", "-B", "install"], cwd=PROJECT_ROOT, capture_output=True, text=True
    )
    assert dry_run.returncode == 0, dry_run.stderr
    assert "pybabel compile" in dry_run.stdout
