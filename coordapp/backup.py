"""`flask backup FILE` / `flask restore FILE`: a portable, logical archive of the database.

The archive is engine-neutral (SQLite -> PostgreSQL is how a network outgrows the
embedded default; PostgreSQL -> SQLite makes a laptop copy) and streamed both ways: one
table at a time, rows read and written in batches, so memory stays flat whatever the size.

Layout: a first line naming the format (plain or encrypted), then a gzip stream of JSON
lines (encrypted: in AES-GCM chunks, below):

- `header`: format, app version, Alembic revision, time, source engine, the tables with
  their columns and each column's portable kind, and check values of the secrets the data
  needs (SECRET_KEY for personal links and logins, the signing keys' passphrase when keys
  are stored): a known text encrypted with a key derived from each secret, so a restore can
  tell whether its configuration opens the data without the archive revealing anything;
- per table: `table`, its rows (JSON arrays, column order as in the header), `end` with
  the row count and checksum (sum of the rows' SHA-256 modulo 2^256: independent of row
  order, which differs between engines);
- `manifest`: every table's count and checksum, written last (a truncated archive has none).

Consistency: PostgreSQL reads inside one REPEATABLE READ, READ ONLY, DEFERRABLE
transaction; SQLite is first copied with its online backup API (a consistent snapshot
while the app keeps writing) and read from the copy.

Restore loads into an EMPTY database of either engine: it builds the schema at the
archive's revision, loads every table in one transaction (user triggers - the frozen
approved minutes - set aside meanwhile, foreign keys checked at the end), resets
PostgreSQL's sequences, re-reads every table and compares count and checksum with the
manifest, commits, then upgrades an older archive's schema to head.

Encryption (optional, a passphrase): scrypt derives a key; the gzip stream is cut in 64 KiB
chunks, each sealed with AES-256-GCM, its nonce and associated data carrying the chunk's
number and whether it is the last one, so reordering, dropping or cutting chunks is
detected.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import gzip
import hashlib
import io
import json
import os
import secrets
import shutil
import struct
import tempfile
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import IO, Any

import sqlalchemy as sa
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

FORMAT = 1
MAGIC_PLAIN = b"COORDAPP-BACKUP-1\n"
MAGIC_ENCRYPTED = b"COORDAPP-BACKUP-1-AESGCM\n"
CHUNK = 64 * 1024
BATCH = 1000
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1
CHECK_TEXT = b"coordapp backup: this secret opens the data"
CHECKSUM_MODULUS = 2**256
# Tables no archive carries: Alembic's own bookkeeping is rebuilt by the migrations.
SKIPPED_TABLES = {"alembic_version"}


class BackupError(Exception):
    """A backup or restore cannot go on; the message says why (shown to the operator)."""


# --- portable values ------------------------------------------------------------------------


def kind_of(type_: sa.types.TypeEngine) -> str:
    """The portable kind of a column type: how its values travel in the archive."""
    if isinstance(type_, sa.types.TypeDecorator):
        type_ = type_.impl_instance
    checks: list[tuple[type, Callable[[Any], str]]] = [
        (sa.Enum, lambda t: "str"),
        (sa.Boolean, lambda t: "bool"),
        (sa.Integer, lambda t: "int"),
        (sa.Float, lambda t: "float"),
        (sa.Numeric, lambda t: "decimal"),
        (sa.DateTime, lambda t: "datetime" if t.timezone else "datetime_naive"),
        (sa.Date, lambda t: "date"),
        (sa.Time, lambda t: "time"),
        (sa.LargeBinary, lambda t: "bytes"),
        (sa.JSON, lambda t: "json"),
        (sa.String, lambda t: "str"),
        (sa.Uuid, lambda t: "str"),
    ]
    for cls, kind in checks:
        if isinstance(type_, cls):
            return kind(type_)
    raise BackupError(f"no portable form for the column type {type_!r}")


_TRANSPORT = {
    "bool": sa.Boolean,
    "int": sa.BigInteger,
    "float": sa.Float,
    "decimal": sa.Numeric,
    "datetime": lambda: sa.DateTime(timezone=True),
    "datetime_naive": sa.DateTime,
    "date": sa.Date,
    "time": sa.Time,
    "bytes": sa.LargeBinary,
    "json": lambda: sa.JSON(none_as_null=True),
    "str": sa.String,
}


def transport_table(name: str, columns: list[list[str]]) -> sa.Table:
    """A Core table that reads and writes raw portable values: no app-level types."""
    return sa.Table(
        name, sa.MetaData(), *(sa.Column(col, _TRANSPORT[kind]()) for col, kind in columns)
    )


def encode(value: Any, kind: str) -> Any:
    """A database value (as the transport types return it) in its portable JSON form."""
    if value is None:
        return None
    if kind == "datetime":
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value.isoformat()
    if kind in ("datetime_naive", "date", "time"):
        return value.isoformat()
    if kind == "bytes":
        return base64.b64encode(bytes(value)).decode("ascii")
    if kind == "decimal":
        return str(value)
    if kind == "bool":
        return bool(value)
    return value


def decode(value: Any, kind: str, dialect: str) -> Any:
    """A portable value as the transport types write it on `dialect`."""
    if value is None:
        return None
    if kind == "datetime":
        naive = dt.datetime.fromisoformat(value)
        return naive if dialect == "sqlite" else naive.replace(tzinfo=dt.UTC)
    if kind == "datetime_naive":
        return dt.datetime.fromisoformat(value)
    if kind == "date":
        return dt.date.fromisoformat(value)
    if kind == "time":
        return dt.time.fromisoformat(value)
    if kind == "bytes":
        return base64.b64decode(value)
    if kind == "decimal":
        return decimal.Decimal(value)
    return value


def row_digest(values: list[Any]) -> int:
    text = json.dumps(values, separators=(",", ":"), ensure_ascii=False, sort_keys=True)
    return int.from_bytes(hashlib.sha256(text.encode()).digest(), "big")


@dataclass
class Tally:
    """A table's row count and order-independent checksum."""

    count: int = 0
    total: int = 0

    def add(self, values: list[Any]) -> None:
        self.count += 1
        self.total = (self.total + row_digest(values)) % CHECKSUM_MODULUS

    @property
    def checksum(self) -> str:
        return f"{self.total:064x}"


# --- secret check values --------------------------------------------------------------------


def _check_key(secret: bytes, salt: bytes, purpose: str) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=salt, info=f"coordapp backup {purpose}".encode()
    ).derive(secret)


def secret_check(secret: bytes, purpose: str) -> dict[str, str]:
    salt, nonce = secrets.token_bytes(16), secrets.token_bytes(12)
    sealed = AESGCM(_check_key(secret, salt, purpose)).encrypt(nonce, CHECK_TEXT, None)
    return {
        "salt": salt.hex(),
        "nonce": nonce.hex(),
        "sealed": base64.b64encode(sealed).decode("ascii"),
    }


def secret_matches(secret: bytes, purpose: str, check: dict[str, str]) -> bool:
    key = _check_key(secret, bytes.fromhex(check["salt"]), purpose)
    try:
        opened = AESGCM(key).decrypt(
            bytes.fromhex(check["nonce"]), base64.b64decode(check["sealed"]), None
        )
    except InvalidTag:
        return False
    return opened == CHECK_TEXT


# --- the archive's outer layer: plain or encrypted ----------------------------------------


def _scrypt(passphrase: str, salt: bytes) -> bytes:
    return Scrypt(salt=salt, length=32, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P).derive(
        passphrase.encode()
    )


def _chunk_nonce(prefix: bytes, number: int) -> bytes:
    return prefix + struct.pack(">Q", number)


def _chunk_aad(number: int, last: bool) -> bytes:
    return struct.pack(">Q?", number, last)


class _EncryptingWriter(io.RawIOBase):
    """Seals what is written in CHUNK-sized AES-GCM chunks: `[len][ciphertext]`."""

    def __init__(self, out: IO[bytes], passphrase: str) -> None:
        salt, self._prefix = secrets.token_bytes(16), secrets.token_bytes(4)
        params = {"kdf": "scrypt", "n": SCRYPT_N, "r": SCRYPT_R, "p": SCRYPT_P}
        key = _scrypt(passphrase, salt)
        # Tells a wrong passphrase from a damaged archive.
        params.update(salt=salt.hex(), nonce_prefix=self._prefix.hex(), chunk=CHUNK)
        params["check"] = secret_check(key, "archive passphrase")
        out.write(MAGIC_ENCRYPTED + json.dumps(params).encode() + b"\n")
        self._out, self._aead = out, AESGCM(key)
        self._buffer, self._number = bytearray(), 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self._buffer += data
        while len(self._buffer) > CHUNK:
            self._seal(bytes(self._buffer[:CHUNK]), last=False)
            del self._buffer[:CHUNK]
        return len(data)

    def _seal(self, plain: bytes, last: bool) -> None:
        nonce = _chunk_nonce(self._prefix, self._number)
        sealed = self._aead.encrypt(nonce, plain, _chunk_aad(self._number, last))
        self._out.write(struct.pack(">I", len(sealed)) + sealed)
        self._number += 1

    def close(self) -> None:
        if not self.closed:
            self._seal(bytes(self._buffer), last=True)
            self._buffer.clear()
        super().close()


class _DecryptingReader(io.RawIOBase):
    def __init__(self, source: IO[bytes], passphrase: str) -> None:
        params = json.loads(source.readline())
        if params.get("kdf") != "scrypt":
            raise BackupError("the archive's encryption is not one this version reads")
        key = Scrypt(
            salt=bytes.fromhex(params["salt"]),
            length=32,
            n=params["n"],
            r=params["r"],
            p=params["p"],
        ).derive(passphrase.encode())
        if not secret_matches(key, "archive passphrase", params["check"]):
            raise BackupError("wrong passphrase for this archive")
        self._source, self._aead = source, AESGCM(key)
        self._prefix = bytes.fromhex(params["nonce_prefix"])
        self._plain, self._number, self._done = b"", 0, False

    def readable(self) -> bool:
        return True

    def _next_chunk(self) -> None:
        head = self._source.read(4)
        if len(head) < 4:
            raise BackupError("the archive is cut short (its last chunk is missing)")
        (size,) = struct.unpack(">I", head)
        sealed = self._source.read(size)
        if len(sealed) < size:
            raise BackupError("the archive is cut short (its last chunk is incomplete)")
        nonce = _chunk_nonce(self._prefix, self._number)
        for last in (False, True):
            try:
                self._plain = self._aead.decrypt(nonce, sealed, _chunk_aad(self._number, last))
            except InvalidTag:
                continue
            self._done, self._number = last, self._number + 1
            return
        raise BackupError(f"the archive was changed or damaged (chunk {self._number})")

    def readinto(self, buffer) -> int:
        while not self._plain and not self._done:
            self._next_chunk()
        size = min(len(buffer), len(self._plain))
        buffer[:size] = self._plain[:size]
        self._plain = self._plain[size:]
        return size


@contextmanager
def _open_for_writing(path: str, passphrase: str | None) -> Iterator[IO[str]]:
    """A text stream of JSON lines into the archive at `path` (written aside, then moved)."""
    partial = f"{path}.partial"
    with open(partial, "wb") as raw:
        if passphrase:
            sealed = _EncryptingWriter(raw, passphrase)
            inner: IO[bytes] = sealed
        else:
            raw.write(MAGIC_PLAIN)
            sealed, inner = None, raw
        with gzip.GzipFile(fileobj=inner, mode="wb", compresslevel=6, mtime=0) as zipped:
            with io.TextIOWrapper(zipped, encoding="utf-8", newline="\n") as text:
                yield text
        if sealed is not None:
            sealed.close()
        raw.flush()
        os.fsync(raw.fileno())
    os.replace(partial, path)


def is_encrypted(path: str) -> bool:
    with open(path, "rb") as raw:
        first = raw.readline()
    if first == MAGIC_ENCRYPTED:
        return True
    if first == MAGIC_PLAIN:
        return False
    raise BackupError(f"{path} is not a coordapp backup")


@contextmanager
def _open_for_reading(path: str, passphrase: str | None) -> Iterator[Iterator[dict | list]]:
    with open(path, "rb") as raw:
        first = raw.readline()
        if first == MAGIC_ENCRYPTED:
            if not passphrase:
                raise BackupError("the archive is encrypted: give its passphrase")
            inner: IO[bytes] = io.BufferedReader(_DecryptingReader(raw, passphrase), CHUNK)
        elif first == MAGIC_PLAIN:
            inner = raw
        else:
            raise BackupError(f"{path} is not a coordapp backup")
        with gzip.GzipFile(fileobj=inner, mode="rb") as zipped:
            text = io.TextIOWrapper(zipped, encoding="utf-8")
            try:
                yield (json.loads(line) for line in text)
            except (OSError, EOFError, gzip.BadGzipFile) as error:
                raise BackupError(f"the archive is damaged: {error}") from error


# --- backup -----------------------------------------------------------------------------------


@dataclass
class TableSpec:
    name: str
    columns: list[list[str]]  # [name, kind]
    primary_key: list[str] = field(default_factory=list)


def _table_specs(conn: sa.Connection, model_metadata: sa.MetaData) -> list[TableSpec]:
    """The database's own tables in dependency order; each column's kind from the app's
    models where they know it (exact types), else from what the database reports."""
    reflected = sa.MetaData()
    reflected.reflect(conn)
    # In a cycle (polls.chosen_slot_id <-> poll_slots.poll_id) the nullable side gives
    # way: restore loads it as NULL and sets it once both tables are in.
    tables = list(reflected.tables.values())
    yielding = {
        fk
        for table in tables
        for fk in table.foreign_key_constraints
        if all(column.nullable for column in fk.columns)
        and _reaches(fk.referred_table, table)
        and fk.referred_table is not table
    }
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Cannot correctly sort tables", sa.exc.SAWarning)
        ordered = sa.schema.sort_tables(tables, skip_fn=lambda fk: fk.constraint in yielding)
    specs = []
    for table in ordered:
        if table.name in SKIPPED_TABLES:
            continue
        model = model_metadata.tables.get(table.name)
        columns = []
        for column in table.columns:
            known = model.columns.get(column.name) if model is not None else None
            columns.append([column.name, kind_of((known if known is not None else column).type)])
        primary_key = [c.name for c in table.primary_key.columns]
        specs.append(TableSpec(table.name, columns, primary_key))
    return specs


def _reaches(start: sa.Table, goal: sa.Table) -> bool:
    """Whether `start`'s foreign keys lead, directly or not, to `goal`."""
    seen, todo = set(), [start]
    while todo:
        table = todo.pop()
        if table is goal:
            return True
        if table.name not in seen:
            seen.add(table.name)
            todo.extend(fk.referred_table for fk in table.foreign_key_constraints)
    return False


def _alembic_revision(conn: sa.Connection) -> str | None:
    if not sa.inspect(conn).has_table("alembic_version"):
        return None
    revisions = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalars().all()
    if len(revisions) != 1:
        raise BackupError(f"the database has {len(revisions)} Alembic revisions, expected one")
    return revisions[0]


@contextmanager
def _snapshot(engine: sa.Engine) -> Iterator[sa.Connection]:
    """A connection that sees one consistent state of the database while the app goes on."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn = conn.execution_options(
                isolation_level="REPEATABLE READ",
                postgresql_readonly=True,
                postgresql_deferrable=True,
            )
            with conn.begin():
                yield conn
        return
    if engine.dialect.name != "sqlite":
        raise BackupError(f"backups of {engine.dialect.name} are not supported")
    import sqlite3

    folder = tempfile.mkdtemp(prefix="coordapp-backup-")
    copy_path = os.path.join(folder, "snapshot.sqlite")
    try:
        source = engine.raw_connection()
        try:
            target = sqlite3.connect(copy_path)
            try:
                source.driver_connection.backup(target)
            finally:
                target.close()
        finally:
            source.close()
        copy = sa.create_engine(f"sqlite:///{copy_path}")
        try:
            with copy.connect() as conn:
                yield conn
        finally:
            copy.dispose()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@dataclass
class Secrets:
    """The configured secrets a restore must match: SECRET_KEY, and the signing keys'
    passphrase (as the signing module derives it) when it can be had."""

    secret_key: bytes
    signing_passphrase: bytes | None


def _needs_signing_passphrase(conn: sa.Connection) -> bool:
    inspector = sa.inspect(conn)
    for table in ("signing_authorities", "signing_identities"):
        if inspector.has_table(table):
            if conn.execute(sa.text(f"SELECT 1 FROM {table} LIMIT 1")).first():
                return True
    return False


def backup(
    engine: sa.Engine,
    path: str,
    *,
    model_metadata: sa.MetaData,
    secrets_: Secrets,
    app_version: str,
    passphrase: str | None = None,
    progress: Callable[[str, int], None] | None = None,
) -> dict:
    """Write the whole database to the archive `path`; returns the manifest."""
    with _snapshot(engine) as conn, _open_for_writing(path, passphrase) as out:
        specs = _table_specs(conn, model_metadata)
        needed = {"SECRET_KEY": secret_check(secrets_.secret_key, "SECRET_KEY")}
        if _needs_signing_passphrase(conn):
            if secrets_.signing_passphrase is None:
                raise BackupError("signing keys are stored but no passphrase is configured")
            needed["SIGNING_KEY_PASSPHRASE"] = secret_check(
                secrets_.signing_passphrase, "SIGNING_KEY_PASSPHRASE"
            )
        header = {
            "kind": "header",
            "format": FORMAT,
            "app_version": app_version,
            "alembic_revision": _alembic_revision(conn),
            "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "source_engine": engine.dialect.name,
            "secrets": needed,
            "tables": [{"name": s.name, "columns": s.columns} for s in specs],
        }
        out.write(json.dumps(header) + "\n")
        tallies = {}
        for spec in specs:
            table = transport_table(spec.name, spec.columns)
            kinds = [kind for _, kind in spec.columns]
            order = [table.c[name] for name in spec.primary_key]
            out.write(json.dumps({"kind": "table", "name": spec.name}) + "\n")
            tally = Tally()
            result = conn.execution_options(stream_results=True, yield_per=BATCH).execute(
                sa.select(table).order_by(*order)
            )
            for row in result:
                values = [encode(v, k) for v, k in zip(row, kinds, strict=True)]
                tally.add(values)
                out.write(json.dumps(values, ensure_ascii=False, separators=(",", ":")) + "\n")
            tallies[spec.name] = {"count": tally.count, "checksum": tally.checksum}
            out.write(json.dumps({"kind": "end", "table": spec.name, **tallies[spec.name]}) + "\n")
            if progress:
                progress(spec.name, tally.count)
        manifest = {key: value for key, value in header.items() if key != "tables"}
        manifest.update(kind="manifest", tables=tallies)
        out.write(json.dumps(manifest) + "\n")
    return manifest


# --- restore ----------------------------------------------------------------------------------


def read_header(path: str, passphrase: str | None = None) -> dict:
    with _open_for_reading(path, passphrase) as records:
        header = next(records, None)
    if not isinstance(header, dict) or header.get("kind") != "header":
        raise BackupError(f"{path} has no header: not a coordapp backup")
    if header.get("format") != FORMAT:
        raise BackupError(f"archive format {header.get('format')} is not one this version reads")
    return header


def check_secrets(header: dict, secrets_: Secrets) -> None:
    """Refuse an archive whose data the configured secrets would not open."""
    wrong = []
    checks = header.get("secrets", {})
    if "SECRET_KEY" in checks and not secret_matches(
        secrets_.secret_key, "SECRET_KEY", checks["SECRET_KEY"]
    ):
        wrong.append(
            "SECRET_KEY differs from the one the backup was taken with (personal links and "
            "logins would stop working)"
        )
    if "SIGNING_KEY_PASSPHRASE" in checks and (
        secrets_.signing_passphrase is None
        or not secret_matches(
            secrets_.signing_passphrase,
            "SIGNING_KEY_PASSPHRASE",
            checks["SIGNING_KEY_PASSPHRASE"],
        )
    ):
        wrong.append(
            "SIGNING_KEY_PASSPHRASE (or SECRET_KEY without one) differs from the backup's: "
            "the stored signing keys could not be decrypted"
        )
    if wrong:
        raise BackupError("refusing to restore: " + "; ".join(wrong))


def _existing_rows(conn: sa.Connection, names: list[str]) -> list[str]:
    present = set(sa.inspect(conn).get_table_names())
    return [
        name
        for name in names
        if name in present and conn.execute(sa.text(f'SELECT 1 FROM "{name}" LIMIT 1')).first()
    ]


def check_target_empty(engine: sa.Engine, header: dict) -> str | None:
    """Refuse a target that holds data; returns its Alembic revision (None: no schema)."""
    names = [table["name"] for table in header["tables"]]
    with engine.connect() as conn:
        full = _existing_rows(conn, names)
        if full:
            raise BackupError(
                "refusing to restore into a database that holds data (tables "
                + ", ".join(full[:5])
                + (", …" if len(full) > 5 else "")
                + "): create an empty database and point DATABASE_URL at it"
            )
        present = set(sa.inspect(conn).get_table_names()) - SKIPPED_TABLES
        revision = _alembic_revision(conn)
    if present and revision != header["alembic_revision"]:
        raise BackupError(
            f"the target database already has a schema (revision {revision}) other than the "
            f"backup's ({header['alembic_revision']}): restore into a new, empty database"
        )
    return revision if present else None


@contextmanager
def _user_triggers_set_aside(conn: sa.Connection, names: list[str]) -> Iterator[None]:
    """Load rows as they were, past the triggers that freeze approved minutes (the rows
    were checked when first written); foreign keys stay checked."""
    if conn.dialect.name == "postgresql":
        for name in names:
            conn.execute(sa.text(f'ALTER TABLE "{name}" DISABLE TRIGGER USER'))
        yield
        for name in names:
            conn.execute(sa.text(f'ALTER TABLE "{name}" ENABLE TRIGGER USER'))
        return
    conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
    triggers = conn.execute(
        sa.text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
    ).all()
    for name, _ in triggers:
        conn.execute(sa.text(f'DROP TRIGGER "{name}"'))
    yield
    for _, sql in triggers:
        conn.execute(sa.text(sql))


def _forward_references(conn: sa.Connection, name: str, loaded: set[str]) -> list[str]:
    """Columns of `name` referring to a table not loaded yet (itself included: a row may
    point to a later one; or a cycle, polls <-> poll_slots): loaded as NULL, set at the end."""
    return [
        column
        for fk in sa.inspect(conn).get_foreign_keys(name)
        if fk["referred_table"] not in loaded or fk["referred_table"] == name
        for column in fk["constrained_columns"]
    ]


def _reset_sequences(conn: sa.Connection, names: list[str]) -> None:
    if conn.dialect.name != "postgresql":
        return
    inspector = sa.inspect(conn)
    for name in names:
        for column in inspector.get_pk_constraint(name)["constrained_columns"]:
            sequence = conn.execute(
                sa.text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": name, "c": column}
            ).scalar()
            if sequence:
                conn.execute(
                    sa.text(
                        f'SELECT setval(:s, COALESCE((SELECT MAX("{column}") FROM "{name}"), 0) '
                        f"+ 1, false)"
                    ),
                    {"s": sequence},
                )


def _tally_table(conn: sa.Connection, name: str, columns: list[list[str]]) -> Tally:
    table = transport_table(name, columns)
    kinds = [kind for _, kind in columns]
    tally = Tally()
    for row in conn.execution_options(yield_per=BATCH).execute(sa.select(table)):
        tally.add([encode(v, k) for v, k in zip(row, kinds, strict=True)])
    return tally


@dataclass
class RestoreResult:
    header: dict
    tables: dict[str, dict]
    upgraded_from: str | None = None


def restore(
    engine: sa.Engine,
    path: str,
    *,
    secrets_: Secrets,
    migrate_to: Callable[[str], None],
    passphrase: str | None = None,
    progress: Callable[[str, int], None] | None = None,
) -> RestoreResult:
    """Load the archive at `path` into the empty database behind `engine`.

    `migrate_to(revision)` runs the app's Alembic migrations up to `revision` ("head" at
    the end when the archive is older than the code)."""
    header = read_header(path, passphrase)
    check_secrets(header, secrets_)
    if check_target_empty(engine, header) is None:
        migrate_to(header["alembic_revision"])
    specs = {table["name"]: table["columns"] for table in header["tables"]}
    with _loading_engine(engine) as loader:
        manifest = _load(loader, path, passphrase, specs, progress)
    result = RestoreResult(header, manifest["tables"])
    if header["alembic_revision"] is not None:
        migrate_to("head")
        with engine.connect() as conn:
            now = _alembic_revision(conn)
        if now != header["alembic_revision"]:
            result.upgraded_from = header["alembic_revision"]
    return result


@contextmanager
def _loading_engine(engine: sa.Engine) -> Iterator[sa.Engine]:
    """The engine to load with: on SQLite one that really opens a transaction with BEGIN
    (pysqlite would otherwise run the DDL around the load outside it) and checks
    foreign keys."""
    if engine.dialect.name != "sqlite":
        yield engine
        return
    loader = sa.create_engine(engine.url)

    @sa.event.listens_for(loader, "connect")
    def _connect(dbapi_connection, record):
        dbapi_connection.isolation_level = None
        dbapi_connection.execute("PRAGMA foreign_keys = ON")

    @sa.event.listens_for(loader, "begin")
    def _begin(connection):
        connection.exec_driver_sql("BEGIN")

    try:
        yield loader
    finally:
        loader.dispose()


def _load(
    engine: sa.Engine,
    path: str,
    passphrase: str | None,
    specs: dict[str, list[list[str]]],
    progress: Callable[[str, int], None] | None,
) -> dict:
    """Load every table in one transaction, verify it, commit; the archive's manifest."""
    try:
        with engine.connect() as conn, conn.begin():
            manifest = _load_and_verify(conn, path, passphrase, specs, progress)
    except sa.exc.IntegrityError as error:
        raise BackupError(f"the loaded rows break a constraint: {error.orig}") from error
    return manifest


def _load_and_verify(
    conn: sa.Connection,
    path: str,
    passphrase: str | None,
    specs: dict[str, list[list[str]]],
    progress: Callable[[str, int], None] | None,
) -> dict:
    names = list(specs)
    existing = set(sa.inspect(conn).get_table_names())
    missing = [name for name in names if name not in existing]
    if missing:
        raise BackupError(f"the schema at the backup's revision lacks tables: {missing}")
    with _user_triggers_set_aside(conn, names):
        # Migrations may seed rows; the archive holds every row there is.
        for name in reversed(names):
            conn.execute(sa.text(f'DELETE FROM "{name}"'))
        with _open_for_reading(path, passphrase) as records:
            next(records)  # the header, read already
            manifest = _load_tables(conn, records, specs, conn.dialect.name, progress)
    _reset_sequences(conn, names)
    for name, columns in specs.items():
        tally = _tally_table(conn, name, columns)
        expected = manifest["tables"][name]
        if (tally.count, tally.checksum) != (expected["count"], expected["checksum"]):
            raise BackupError(
                f"table {name}: {tally.count} rows in the database after loading, "
                f"{expected['count']} in the backup, or their checksums differ"
            )
    return manifest


def _load_tables(
    conn: sa.Connection,
    records: Iterator[Any],
    specs: dict[str, list[list[str]]],
    dialect: str,
    progress: Callable[[str, int], None] | None,
) -> dict:
    """Insert every table's rows, checking each against its `end` record; the manifest."""
    current: str | None = None
    table = tally = None
    batch: list[dict] = []
    loaded: set[str] = set()
    # (table, primary key, pointers): references to rows loaded later, set at the end.
    later: list[tuple[sa.Table, dict, dict]] = []
    forward: list[str] = []
    primary_key: list[str] = []

    def flush() -> None:
        if batch:
            conn.execute(table.insert(), batch)
            batch.clear()

    for record in records:
        if isinstance(record, list):
            if current is None:
                raise BackupError("the archive is damaged: a row outside any table")
            tally.add(record)
            values = {
                col: decode(value, kind, dialect)
                for (col, kind), value in zip(specs[current], record, strict=True)
            }
            pointers = {col: values[col] for col in forward if values[col] is not None}
            if pointers:
                later.append((table, {col: values[col] for col in primary_key}, pointers))
                values.update(dict.fromkeys(pointers))
            batch.append(values)
            if len(batch) >= BATCH:
                flush()
            continue
        kind = record.get("kind")
        if kind == "table":
            current = record["name"]
            if current not in specs:
                raise BackupError(f"the archive is damaged: unknown table {current}")
            table, tally = transport_table(current, specs[current]), Tally()
            forward = _forward_references(conn, current, loaded)
            primary_key = sa.inspect(conn).get_pk_constraint(current)["constrained_columns"]
        elif kind == "end":
            flush()
            if (tally.count, tally.checksum) != (record["count"], record["checksum"]):
                raise BackupError(f"the archive is damaged: table {current} fails its checksum")
            if progress:
                progress(current, tally.count)
            loaded.add(current)
            current = None
        elif kind == "manifest":
            if current is not None or set(record["tables"]) != set(specs):
                raise BackupError("the archive is damaged: its manifest lists other tables")
            for target, key, pointers in later:
                conn.execute(
                    target.update()
                    .where(*(target.c[col] == value for col, value in key.items()))
                    .values(**pointers)
                )
            return record
        else:
            raise BackupError(f"the archive is damaged: unexpected record {kind!r}")
    raise BackupError("the archive is cut short: it ends before its manifest")
