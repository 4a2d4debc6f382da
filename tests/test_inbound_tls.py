"""The mailbox reader over TLS, against a real Dovecot with a self-signed certificate:
`imaps://` speaks TLS from the first byte, `imap://` upgrades with STARTTLS when the server
offers it; either way the server's certificate is checked (here trusted through
SSL_CERT_FILE, as an operator with a private CA would), and a certificate the client does
not trust stops the reader before it logs in: nothing read, nothing moved."""

from __future__ import annotations

import time
import uuid

import pytest
import sqlalchemy as sa

from coordapp.extensions import db
from coordapp.inbound import mailbox
from coordapp.models import InboundMessage
from tests import inbound_mail as shaped
from tests.imap import PASSWORD, DovecotServer, _self_signed

INBOUND = "meetings@network.example.org"


@pytest.fixture(scope="module")
def dovecot():
    server = DovecotServer(tls=True).start()
    yield server
    server.stop()


@pytest.fixture
def mailbox_user(app, dovecot):
    """An empty mailbox of its own holding one auto-reply."""
    user = f"t{uuid.uuid4().hex[:10]}"
    box = dovecot.for_user(user)
    box.append(shaped.auto_reply("ana@example.org", INBOUND))
    app.config.update(INBOUND_ADDRESS=INBOUND)
    return box


def _use(app, scheme: str, port: int, user: str) -> None:
    app.config["INBOUND_IMAP_URL"] = f"{scheme}://{user}:{PASSWORD}@127.0.0.1:{port}/INBOX"


def _recorded() -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count(InboundMessage.id)))


def _logins_over_tls(dovecot: DovecotServer, user: str, at_least: int) -> list[bool]:
    """For each login of `user` the server logged: whether it was over TLS. Dovecot's log
    process writes a moment later: wait for `at_least` lines, then a little longer."""
    deadline = time.monotonic() + 10
    while True:
        lines = [line for line in dovecot.log().splitlines() if f"Login: user=<{user}>" in line]
        if len(lines) >= at_least or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    time.sleep(0.3)
    return [
        ", TLS" in line for line in dovecot.log().splitlines() if f"Login: user=<{user}>" in line
    ]


@pytest.mark.parametrize("scheme", ["imaps", "imap"])
def test_a_trusted_certificate_reads_the_mailbox_over_tls(
    app, dovecot, mailbox_user, monkeypatch, scheme
):
    monkeypatch.setenv("SSL_CERT_FILE", str(dovecot.certificate))
    port = dovecot.imaps_port if scheme == "imaps" else dovecot.port
    _use(app, scheme, port, mailbox_user.user)

    summary = mailbox.fetch()

    assert (summary.seen, summary.processed) == (1, 1)
    assert _recorded() == 1
    assert mailbox_user.count("INBOX") == 0
    # The test's own APPEND and count log in in plain text; the reader's login was over TLS.
    assert _logins_over_tls(dovecot, mailbox_user.user, 3) == [False, True, False]


@pytest.mark.parametrize("scheme", ["imaps", "imap"])
def test_a_certificate_nobody_vouches_for_stops_the_reader_before_it_logs_in(
    app, dovecot, mailbox_user, monkeypatch, tmp_path, scheme
):
    # Trust only an unrelated certificate: the server's own is then unknown.
    other, _key = _self_signed(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(other))
    port = dovecot.imaps_port if scheme == "imaps" else dovecot.port
    _use(app, scheme, port, mailbox_user.user)

    with pytest.raises(mailbox.MailboxError, match="certificate verify failed"):
        mailbox.fetch()

    assert _recorded() == 0
    assert mailbox_user.count("INBOX") == 1
    # No fallback to a plain-text login after STARTTLS failed: only the test's own two.
    assert _logins_over_tls(dovecot, mailbox_user.user, 2) == [False, False]
