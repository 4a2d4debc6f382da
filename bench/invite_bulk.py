"""Inviting 1,000 contacts: how long the secretariat waits, and how long the worker
takes to deliver the invitations to a loopback SMTP server.

    .venv/bin/python bench/invite_bulk.py            # SQLite in a temp dir
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench \
        .venv/bin/python bench/invite_bulk.py

The request only writes rows (invitations + outbox); delivery is the worker's job,
timed here by calling the same function the worker runs. Last line: the figures.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _invitees import add_invitees, add_meeting, add_secretariat  # noqa: E402  (bench/, the script's folder)

from coordapp import create_app  # noqa: E402
from coordapp.extensions import db  # noqa: E402
from coordapp.models import (  # noqa: E402
    Base,
    Category,
    Invitation,
    MessageStatus,
    OutgoingMessage,
)
from tests.conftest import login_as  # noqa: E402
from tests.smtp import SMTPServer  # noqa: E402

INVITEES = int(os.environ.get("INVITEES", 1000))


def main() -> None:
    workdir = Path(tempfile.mkdtemp(prefix="coordapp-bench-"))
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{workdir / 'bench.sqlite'}"
    smtp = SMTPServer().start()
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "bench-secret-key-0123456789abcdef0123456789",
            "WTF_CSRF_ENABLED": False,
            "MAIL_DELIVER_AFTER_COMMIT": False,
            "MAIL_SERVER": smtp.host,
            "MAIL_PORT": smtp.port,
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        }
    )
    with app.app_context():
        Base.metadata.drop_all(db.engine)
        Base.metadata.create_all(db.engine)
        user = add_secretariat()
        add_invitees(INVITEES)
        meeting = add_meeting("Bench meeting")
        db.session.commit()
        meeting_id = meeting.id

        client = app.test_client()
        login_as(client, user)  # a login session, as the login form starts
        # One warm-up request so imports and template compilation are not counted.
        client.get(f"/meetings/{meeting_id}/invitations/new")

        began = time.perf_counter()
        response = client.post(
            f"/meetings/{meeting_id}/invitations/new",
            data={"categories": Category.LOCAL_GOVERNMENT.value},
        )
        request_s = time.perf_counter() - began
        assert response.status_code in (200, 302, 303), response.status_code
        invited = db.session.scalar(db.select(db.func.count(Invitation.id)))
        queued = db.session.scalar(db.select(db.func.count(OutgoingMessage.id)))
        print(f"invite request: {request_s:.3f} s for {invited} invitations, {queued} queued")

        from coordapp.mail.delivery import deliver_due_messages

        began = time.perf_counter()
        while db.session.scalar(
            db.select(db.func.count(OutgoingMessage.id)).where(
                OutgoingMessage.status == MessageStatus.QUEUED
            )
        ):
            deliver_due_messages(limit=500)
            db.session.expire_all()
        delivery_s = time.perf_counter() - began
        sent = db.session.scalar(
            db.select(db.func.count(OutgoingMessage.id)).where(
                OutgoingMessage.status == MessageStatus.SENT
            )
        )
        received = len(smtp.messages)
        print(f"delivery: {delivery_s:.2f} s, {sent} sent, {received} received by the SMTP server")
    smtp.stop()
    rate = received / delivery_s if delivery_s else 0
    print(
        f"invitees={INVITEES} invite_request_s={request_s:.3f} delivery_s={delivery_s:.2f} "
        f"received={received} messages_per_s={rate:.0f}"
    )


if __name__ == "__main__":
    main()
