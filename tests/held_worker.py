"""The app's worker with holds for tests: `huey_consumer tests.held_worker.huey`.

A test that must kill the worker mid-job (coordapp/jobs.py's leases) starts this instead
of `coordapp.worker.huey`. It is the same worker, with a hold wrapped around a few steps
that run after a job took its lease: while the file named by the environment variable
TEST_HOLD_JOBS_FILE exists, the step says it got there (creates `<file>.<step>`) and
waits, so the test can `kill -9` the process at that point every time. Production code
knows nothing about it.

Steps held: `render_minutes_pdf`, `sign_approval`, `render_pdf` (agenda and report PDFs),
and `send_mail`, before the message number TEST_HOLD_SEND_AT (default 1) of the process
is handed to the mail server.
"""

from __future__ import annotations

import functools
import itertools
import os
import time
from pathlib import Path

from coordapp.worker import app, huey  # noqa: F401  (what huey_consumer runs)

HOLD = Path(os.environ["TEST_HOLD_JOBS_FILE"])
SEND_AT = int(os.environ.get("TEST_HOLD_SEND_AT", "1"))


def hold(step: str) -> None:
    if not HOLD.exists():
        return
    HOLD.with_name(f"{HOLD.name}.{step}").touch()
    while HOLD.exists():
        time.sleep(0.05)


def held(step: str, fn, when=lambda: True):
    @functools.wraps(fn)
    def run(*args, **kwargs):
        if when():
            hold(step)
        return fn(*args, **kwargs)

    return run


def _install() -> None:
    from coordapp.mail import delivery
    from coordapp.minutes_pdf import signing
    from coordapp.minutes_pdf import tasks as minutes_tasks
    from coordapp.pdf import render

    minutes_tasks.render_unsigned = held("render_minutes_pdf", minutes_tasks.render_unsigned)
    signing.sign_approval_with = held("sign_approval", signing.sign_approval_with)
    render.render_pdf = held("render_pdf", render.render_pdf)
    sends = itertools.count(1)
    for backend in (delivery.SMTPBackend, delivery.FileBackend):
        backend.send = held("send_mail", backend.send, when=lambda: next(sends) == SEND_AT)


_install()
