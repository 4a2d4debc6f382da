"""/verify checks an upload in the worker, within bounds: the request only stores the file
and answers at once; a file with far more parts than minutes ever have is answered
"too complex to check"; the child process that checks is stopped at its CPU and memory
limits; old checks are purged."""

from __future__ import annotations

import time
from datetime import timedelta
from io import BytesIO

import pytest
import sqlalchemy as sa

from coordapp.extensions import db
from coordapp.models import PdfCheck, PdfCheckStatus
from coordapp.signing.bounded import TooComplex, run_bounded, too_many_parts
from coordapp.verify import checks
from coordapp.verify import tasks as verify_tasks
from tests.hostile import hostile_pdf
from tests.waiting import assert_done_waiting, assert_waits

TOO_COMPLEX = "This PDF is too complex to check"


def upload(client, data: bytes, **kwargs):
    return client.post(
        "/verify",
        data={"file": (BytesIO(data), "minutes.pdf")},
        content_type="multipart/form-data",
        **kwargs,
    )


def spin() -> None:
    while True:
        pass


def hoard() -> bytes:
    return b"x" * (1024 * 1024 * 1024)


def test_a_pdf_with_thousands_of_form_fields_is_too_complex_to_check(client):
    response = upload(client, hostile_pdf(5_000), follow_redirects=True)

    assert response.status_code == 422
    assert TOO_COMPLEX in response.get_data(as_text=True)
    check = db.session.scalar(sa.select(PdfCheck))
    assert check.status is PdfCheckStatus.TOO_COMPLEX
    assert check.pdf is None  # the upload is not kept once checked


def test_a_pdf_with_more_objects_than_minutes_ever_have_is_refused_before_parsing(client):
    pdf = hostile_pdf(20_000)  # 8 s of parsing without the bounds, on the CI machine
    assert too_many_parts(pdf) and not too_many_parts(hostile_pdf(100))
    started = time.monotonic()
    response = upload(client, pdf, follow_redirects=True)
    assert response.status_code == 422 and TOO_COMPLEX in response.get_data(as_text=True)
    assert time.monotonic() - started < 3


def test_the_checking_process_is_stopped_at_its_cpu_time_limit():
    started = time.monotonic()
    with pytest.raises(TooComplex):
        run_bounded(spin, cpu_seconds=1, memory_bytes=1024**3)
    assert time.monotonic() - started < 10


def test_the_checking_process_is_stopped_at_its_memory_limit():
    with pytest.raises(TooComplex):
        run_bounded(hoard, cpu_seconds=10, memory_bytes=512 * 1024**2)


def test_the_upload_answers_at_once_and_the_page_waits_for_the_worker(client, monkeypatch):
    queued: list[int] = []
    monkeypatch.setattr(verify_tasks, "check_uploaded_pdf", queued.append)

    response = upload(client, hostile_pdf(100))

    assert response.status_code == 303
    [check_id] = queued
    check = db.session.get(PdfCheck, check_id)
    assert response.headers["Location"].endswith(f"/verify/{check.token}")
    waiting = client.get(f"/verify/{check.token}")
    page = waiting.get_data(as_text=True)
    assert waiting.status_code == 200
    assert_waits(waiting, seconds=2)
    assert 'role="status"' in page and "shows the result in a few seconds" in page

    checks.run_check(check_id)  # what the worker does
    done = client.get(f"/verify/{check.token}")
    assert done.status_code == 200
    assert "This PDF has no digital signatures." in done.get_data(as_text=True)
    assert_done_waiting(done)
    assert client.get("/verify/not-a-known-token").status_code == 404


def test_a_check_the_worker_lost_says_so_and_old_checks_are_purged(client, monkeypatch):
    monkeypatch.setattr(verify_tasks, "check_uploaded_pdf", lambda check_id: None)
    upload(client, hostile_pdf(100))
    check = db.session.scalar(sa.select(PdfCheck))
    check.created_at -= timedelta(minutes=10)
    db.session.commit()
    url = f"/verify/{check.token}"

    response = client.get(url)
    assert response.status_code == 503
    assert "could not be checked at the moment" in response.get_data(as_text=True)

    assert checks.purge_old_checks() == 0  # kept an hour
    check.created_at -= timedelta(hours=1)
    db.session.commit()
    assert checks.purge_old_checks() == 1
    assert client.get(url).status_code == 404
