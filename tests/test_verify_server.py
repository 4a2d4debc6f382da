"""A hostile PDF uploaded to /verify cannot stall the site: the app runs under gunicorn
(two sync workers), the background worker beside it, and while four hostile uploads are
being checked `/healthz` answers within a second each time.

Before the check moved to the worker, each such upload held a gunicorn worker for as long
as parsing took (20,000 form fields: 8 s here; 260,000: 31 s and a killed worker), so four
of them made every other request wait."""

from __future__ import annotations

import http.cookiejar
import os
import re
import secrets
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import DATABASE_URL, TEST_SECRET
from tests.hostile import hostile_pdf

pytestmark = [pytest.mark.commits, pytest.mark.processes]

PROJECT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
HOSTILE_UPLOADS = 4  # two workers, and two uploads waiting in the listen queue
HEALTHZ_BOUND = 1.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _environment(tmp_path: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COORDAPP", "REDIS"))}
    dotenv = tmp_path / "empty.env"
    dotenv.write_text("")
    env.update(
        COORDAPP_DOTENV=str(dotenv),
        DATABASE_URL=DATABASE_URL,
        SECRET_KEY=TEST_SECRET,
        HUEY_SQLITE_PATH=str(tmp_path / "queue.sqlite"),
        MAIL_FILE_DIR=str(tmp_path / "mail"),
    )
    return env


def _start(command: list[str], env: dict, log: Path) -> subprocess.Popen:
    with open(log, "w") as out:
        return subprocess.Popen(command, cwd=PROJECT, env=env, stdout=out, stderr=out)


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _timed_get(url: str) -> tuple[int, float]:
    started = time.monotonic()
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    return status, time.monotonic() - started


def _upload(base: str, pdf: bytes, answers: list) -> None:
    """GET the form (session cookie + CSRF token), POST the file; record where it leads."""
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect()
    )
    form = opener.open(f"{base}/verify", timeout=60).read().decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)
    boundary = secrets.token_hex(16)
    body = b"".join(
        [
            f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n'
            f"{token}\r\n".encode(),
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="hostile.pdf"\r\nContent-Type: application/pdf\r\n\r\n'.encode(),
            pdf,
            f"\r\n--{boundary}--\r\n".encode(),
        ]
    )
    request = urllib.request.Request(
        f"{base}/verify",
        data=body,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    started = time.monotonic()
    try:
        response = opener.open(request, timeout=120)
        answers.append((response.status, None, time.monotonic() - started))
    except urllib.error.HTTPError as error:
        answers.append((error.code, error.headers.get("Location"), time.monotonic() - started))


def _result(base: str, location: str, deadline: float, worker_log: Path) -> tuple[int, str]:
    """The result page once the worker answered (it refreshes itself until then)."""
    url = f"{base}{location}" if location.startswith("/") else location
    while True:
        try:
            with urllib.request.urlopen(url, timeout=30) as response:
                status, page = response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            status, page = error.code, error.read().decode()
        if not re.search(r"\sdata-waiting[\s>]", page):  # still waiting (templates/_waiting.html)
            return status, page
        assert time.monotonic() < deadline, worker_log.read_text()
        time.sleep(0.5)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # the 303 comes back as an HTTPError carrying its Location


def test_hostile_pdfs_cannot_delay_healthz_by_more_than_a_second(app, tmp_path):
    env = _environment(tmp_path)
    base = f"http://127.0.0.1:{_free_port()}"
    web = _start(
        [str(BIN / "gunicorn"), "--workers", "2", "--bind", base[len("http://") :], "wsgi:app"],
        env,
        tmp_path / "gunicorn.log",
    )
    worker = _start(
        [str(BIN / "huey_consumer"), "coordapp.worker.huey", "--workers", "1", "--no-periodic"],
        env,
        tmp_path / "worker.log",
    )
    try:
        deadline = time.monotonic() + 90
        while True:
            assert web.poll() is None, (tmp_path / "gunicorn.log").read_text()
            try:
                if _timed_get(f"{base}/healthz")[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, (tmp_path / "gunicorn.log").read_text()
            time.sleep(0.3)
        # Every gunicorn worker has the app loaded and answers.
        for _ in range(4):
            assert _timed_get(f"{base}/healthz")[0] == 200

        # 20,000 fields: refused on a look at the raw bytes; 5,000: refused by the bounded
        # child process that parses it, in the worker.
        pdfs = [hostile_pdf(20_000), hostile_pdf(5_000)] * (HOSTILE_UPLOADS // 2)
        answers: list = []
        uploads = [threading.Thread(target=_upload, args=(base, pdf, answers)) for pdf in pdfs]
        for upload in uploads:
            upload.start()
        time.sleep(0.5)
        probes = []
        for _ in range(8):
            probes.append(_timed_get(f"{base}/healthz"))
            time.sleep(0.25)
        for upload in uploads:
            upload.join(timeout=180)

        assert [status for status, _ in probes] == [200] * len(probes)
        slowest = max(seconds for _, seconds in probes)
        assert slowest < HEALTHZ_BOUND, f"/healthz took {slowest:.2f} s: {probes}"
        assert len(answers) == HOSTILE_UPLOADS
        assert all(status == 303 for status, _, _ in answers), answers

        # The worker's answer to each: too complex to check.
        deadline = time.monotonic() + 90
        for _, location, _ in answers:
            status, page = _result(base, location, deadline, tmp_path / "worker.log")
            assert status == 422, page
            assert "This PDF is too complex to check" in page
    finally:
        _stop(web)
        _stop(worker)
