"""A network one step up (issue #23): 10,000 invitees, a directory of 20,000 contacts.

    .venv/bin/python bench/scale.py                       # SQLite in a temp dir
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench .venv/bin/python bench/scale.py

Times, in order:
- the invite request for 10,000 contacts (target < 2 s);
- delivering the 10,000 invitations with two worker processes running the worker's own
  delivery function side by side, to a loopback SMTP server (target >= 100 messages/s);
- the edit request that moves the 10,000-invitee meeting by a day (target < 2 s);
- the meeting's invitations page, first and 100th page (target < 300 ms);
- a search of the 20,000-contact directory (target < 100 ms).
Last line: the figures and the database. INVITEES / CONTACTS change the sizes;
DELIVERY_SECONDS caps the delivery run (the rate is measured over what was sent).
"""

from __future__ import annotations

import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _invitees import add_invitees, add_meeting, add_secretariat  # noqa: E402
from reschedule import edit_form  # noqa: E402

from coordapp import create_app  # noqa: E402
from coordapp.extensions import db  # noqa: E402
from coordapp.models import (  # noqa: E402
    Base,
    Category,
    Contact,
    Invitation,
    Meeting,
    MessageStatus,
    Organisation,
    OutgoingMessage,
)
from tests.conftest import forget_cached_user_before_each_request, login_as  # noqa: E402
from tests.smtp import SMTPServer  # noqa: E402

INVITEES = int(os.environ.get("INVITEES", 10_000))
CONTACTS = int(os.environ.get("CONTACTS", 20_000))
WORKERS = 2
# Delivery is measured over at most this long (the rate, not the whole queue, is the figure).
DELIVERY_TIMEOUT_S = float(os.environ.get("DELIVERY_SECONDS", 600))


def _config(url: str, smtp: SMTPServer) -> dict:
    return {
        "SQLALCHEMY_DATABASE_URI": url,
        "SECRET_KEY": "bench-secret-key-0123456789abcdef0123456789",
        "WTF_CSRF_ENABLED": False,
        "MAIL_DELIVER_AFTER_COMMIT": False,
        "MAIL_SERVER": smtp.host,
        "MAIL_PORT": smtp.port,
        "MAIL_TIMEOUT": 30,
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
    }


def _worker(config: dict, done: multiprocessing.Queue) -> None:
    """One worker process: the worker's delivery function until nothing is due."""
    from coordapp.mail.delivery import deliver_due_messages

    app = create_app(config)
    sent = 0
    with app.app_context():
        began = time.monotonic()
        while time.monotonic() - began < DELIVERY_TIMEOUT_S:
            summary = deliver_due_messages(limit=200)
            db.session.remove()
            sent += summary.get("sent", 0)
            if not any(summary.get(key) for key in ("sent", "retrying", "failed", "skipped")):
                break
    done.put(sent)


def _median_ms(client, path: str, runs: int = 7) -> float:
    client.get(path)  # warm-up
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        response = client.get(path)
        times.append(time.perf_counter() - began)
        assert response.status_code == 200, (path, response.status_code)
    return statistics.median(times) * 1000


def _more_contacts(count: int) -> None:
    if count <= 0:  # an empty executemany would insert one empty row
        return
    organisation = Organisation(name="Civil society forum", category=Category.CIVIL_SOCIETY)
    db.session.add(organisation)
    db.session.flush()
    db.session.execute(
        db.insert(Contact),
        [
            {
                "name": f"Member {n:05d} Petrova",
                "email": f"member{n:05d}@forum.example.org",
                "organisation_id": organisation.id,
                "language": "ru",
            }
            for n in range(count)
        ],
    )


def main() -> int:
    workdir = Path(tempfile.mkdtemp(prefix="coordapp-scale-"))
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{workdir / 'bench.sqlite'}"
    engine = url.split(":", 1)[0].split("+")[0]
    smtp = SMTPServer().start()
    config = _config(url, smtp)
    app = create_app(config)
    forget_cached_user_before_each_request(app)
    figures = {}
    with app.app_context():
        Base.metadata.drop_all(db.engine)
        Base.metadata.create_all(db.engine)
        user = add_secretariat()
        add_invitees(INVITEES)
        _more_contacts(max(0, CONTACTS - INVITEES))
        meeting = add_meeting("Scale meeting")
        db.session.commit()
        meeting_id = meeting.id
        print(f"set up on {engine}: {INVITEES} invitees, {CONTACTS} contacts in the directory")

        client = app.test_client()
        login_as(client, user)
        client.get(f"/meetings/{meeting_id}/invitations/new")  # warm-up
        db.session.remove()
        began = time.perf_counter()
        response = client.post(
            f"/meetings/{meeting_id}/invitations/new",
            data={"categories": Category.LOCAL_GOVERNMENT.value},
        )
        figures["invite_request_s"] = time.perf_counter() - began
        assert response.status_code in (200, 302, 303), response.status_code
        invited = db.session.scalar(db.select(db.func.count(Invitation.id)))
        print(f"invite request: {figures['invite_request_s']:.3f} s, {invited} invitations")

        db.session.remove()
        context = multiprocessing.get_context("spawn")
        done = context.Queue()
        workers = [context.Process(target=_worker, args=(config, done)) for _ in range(WORKERS)]
        began = time.perf_counter()
        for worker in workers:
            worker.start()
        sent_by = [done.get(timeout=DELIVERY_TIMEOUT_S + 60) for _ in workers]
        delivery_s = time.perf_counter() - began
        for worker in workers:
            worker.join()
        received = len(smtp.messages)
        figures["delivery_per_s"] = received / delivery_s if delivery_s else 0
        print(
            f"delivery, {WORKERS} worker processes: {delivery_s:.1f} s, sent {sent_by}, "
            f"{received} received ({figures['delivery_per_s']:.0f}/s, process start included)"
        )
        queued_left = db.session.scalar(
            db.select(db.func.count(OutgoingMessage.id)).where(
                OutgoingMessage.status == MessageStatus.QUEUED
            )
        )

        meeting = db.session.get(Meeting, meeting_id)
        form = edit_form(meeting, meeting.starts_at + timedelta(days=1))
        client.get(f"/meetings/{meeting_id}/edit")  # warm-up
        db.session.remove()
        began = time.perf_counter()
        response = client.post(f"/meetings/{meeting_id}/edit", data=form)
        figures["reschedule_request_s"] = time.perf_counter() - began
        assert response.status_code == 302, response.get_data(as_text=True)[:1000]
        print(f"reschedule request: {figures['reschedule_request_s']:.3f} s")
        db.session.remove()

        figures["invitations_page_ms"] = max(
            _median_ms(client, f"/meetings/{meeting_id}/invitations"),
            _median_ms(client, f"/meetings/{meeting_id}/invitations?page=100"),
        )
        print(f"invitations page (1st and 100th): {figures['invitations_page_ms']:.0f} ms")
        figures["directory_search_ms"] = max(
            _median_ms(client, "/directory/contacts?q=Member+01234"),
            _median_ms(client, "/directory/contacts?q=petrova"),
        )
        print(f"directory search, {CONTACTS} contacts: {figures['directory_search_ms']:.0f} ms")
    smtp.stop()
    targets = {
        "invite_request_s": figures["invite_request_s"] < 2,
        "delivery_per_s": figures["delivery_per_s"] >= 100,
        "reschedule_request_s": figures["reschedule_request_s"] < 2,
        "invitations_page_ms": figures["invitations_page_ms"] < 300,
        "directory_search_ms": figures["directory_search_ms"] < 100,
    }
    missed = [name for name, ok in targets.items() if not ok]
    print(
        f"database={engine} invitees={INVITEES} contacts={CONTACTS} "
        f"invite_request_s={figures['invite_request_s']:.3f} "
        f"delivery_per_s={figures['delivery_per_s']:.0f} "
        f"reschedule_request_s={figures['reschedule_request_s']:.3f} "
        f"invitations_page_ms={figures['invitations_page_ms']:.0f} "
        f"directory_search_ms={figures['directory_search_ms']:.0f} "
        f"queued_left={queued_left} missed={','.join(missed) or 'none'}"
    )
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
