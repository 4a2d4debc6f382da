"""A real IMAP server for tests: Dovecot on loopback with a throw-away configuration and
maildir (Debian's dovecot-imapd; .ci/run installs it). Runs as root here, the mailbox as
`nobody`; one user, any name, password "secret"."""

from __future__ import annotations

import copy
import imaplib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
PASSWORD = "secret"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = root
mail_location = maildir:{root}/mail/%u
first_valid_uid = 0
passdb {{
  driver = static
  args = password={password}
}}
userdb {{
  driver = static
  args = uid=nobody gid=nogroup home={root}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
  chroot =
}}
service anvil {{
  chroot =
}}
service pop3-login {{
  inet_listener pop3 {{
    port = 0
  }}
}}
"""


class DovecotServer:
    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="coordapp-dovecot-"))
        self.port = _free_port()
        self.user = "meetings"
        self._process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"imap://{self.user}:{PASSWORD}@127.0.0.1:{self.port}/INBOX"

    def start(self) -> DovecotServer:
        for sub in ("run", "state", "mail", "home"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        os.chmod(self.root, 0o755)
        for sub in ("mail", "home"):
            os.chmod(self.root / sub, 0o777)
        config = self.root / "dovecot.conf"
        config.write_text(CONFIG.format(root=self.root, port=self.port, password=PASSWORD))
        self._process = subprocess.Popen(
            [DOVECOT, "-F", "-c", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(
                    "dovecot did not start: "
                    + self._process.stderr.read().decode(errors="replace")
                    + self.log()
                )
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("dovecot did not listen: " + self.log())

    def for_user(self, user: str) -> DovecotServer:
        """The same server, another (empty) mailbox: any user name logs in."""
        other = copy.copy(self)
        other.user = user
        other._process = None  # stopping it stops nothing
        other.root = None
        return other

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        if self.root is None:
            return
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None
        shutil.rmtree(self.root, ignore_errors=True)

    def connect(self) -> imaplib.IMAP4:
        connection = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        connection.login(self.user, PASSWORD)
        return connection

    def append(self, message: bytes, folder: str = "INBOX") -> None:
        """Deliver `message` as a mail server would."""
        connection = self.connect()
        try:
            typ, data = connection.append(folder, None, None, message)
            assert typ == "OK", data
        finally:
            connection.logout()

    def count(self, folder: str) -> int:
        connection = self.connect()
        try:
            typ, data = connection.select(_quote(folder), readonly=True)
            if typ != "OK":
                return 0
            return int(data[0])
        finally:
            connection.logout()

    def folders(self) -> list[str]:
        connection = self.connect()
        try:
            _typ, data = connection.list()
            return [line.decode().split(' "." ', 1)[-1].strip('"') for line in data if line]
        finally:
            connection.logout()


def _quote(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'
