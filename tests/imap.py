"""A real IMAP server for tests: Dovecot on loopback with a throw-away configuration and
maildir (Debian's dovecot-imapd; .ci/run installs it). Runs as root here, the mailbox as
`nobody`; one user, any name, password "secret"."""

from __future__ import annotations

import copy
import imaplib
import ipaddress
import os
import shutil
import socket
import subprocess
import tempfile
import time
from datetime import UTC, datetime, timedelta
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
{ssl}
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
    address = 127.0.0.1
    port = {imaps_port}
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


def _self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 signed by its own key (what a client must be told to
    trust) and that key, as PEM files."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


class DovecotServer:
    """`tls=True`: a self-signed certificate (`self.certificate`), implicit TLS on
    `self.imaps_port` and STARTTLS offered on `self.port`; else plain IMAP only."""

    def __init__(self, *, tls: bool = False) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="coordapp-dovecot-"))
        self.port = _free_port()
        self.tls = tls
        self.imaps_port = _free_port() if tls else 0
        self.certificate: Path | None = None
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
        ssl = "ssl = no"
        if self.tls:
            self.certificate, key = _self_signed(self.root)
            ssl = f"ssl = yes\nssl_cert = <{self.certificate}\nssl_key = <{key}"
        config = self.root / "dovecot.conf"
        config.write_text(
            CONFIG.format(
                root=self.root,
                port=self.port,
                imaps_port=self.imaps_port,
                ssl=ssl,
                password=PASSWORD,
            )
        )
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
