"""1,000 invitees answer within minutes of the invitation: the app's RSVP page against a
bare Flask + Flask-WTF + Flask-SQLAlchemy endpoint, both under gunicorn, same database.

    .venv/bin/python bench/rsvp_burst.py
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench_x \
        .venv/bin/python bench/rsvp_burst.py

The database (PostgreSQL; default: the test_bench database below) is wiped and migrated
fresh (`flask db upgrade`), then a meeting gets 1,000 invitees through the app's own
`invite_contacts`. Each server is gunicorn with 4 sync workers on a free loopback port.
One cycle is what an invitee does: GET their personal link (the page renders the
answer form with a CSRF token and sets the session cookie), then POST "accept" with
that token and cookie; the 303 redirect that follows is not fetched. 50 cycles run at
a time from a thread pool (http.client, one connection per request: sync workers do
not keep connections alive).

The bare endpoint reads one row, renders a CSRF form, and on POST validates the CSRF
token and inserts one row: the floor any Flask app on this stack pays.

Both servers run side by side; the 1,000 cycles go in ROUNDS rounds (default 5), each a
burst against the app then one against the bare endpoint, so that whatever else the
machine does weighs on both alike. A few warm-up cycles per server (other invitees,
answering "tentative") compile the templates in every worker first; they are not
counted. After the bursts the database must hold each answer exactly once. The
after-commit wake-up of the mail worker is off (MAIL_DELIVER_AFTER_COMMIT=False): its
cost depends on the queue backend, not on the page.
Beside the throughputs it prints the CPU each server spent per cycle during the bursts:
its gunicorn workers' and its PostgreSQL backends' (found by application name, PGAPPNAME),
read from /proc (bench and database on one machine): where a cycle's cost goes.
Last line: `ratio=<app cycles per s / bare cycles per s>`.
"""

from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test_bench"
DATABASE_URL = os.environ.get("DATABASE_URL") or DEFAULT_URL
SECRET_KEY = "bench-secret-key-0123456789abcdef0123456789"
INVITEES = int(os.environ.get("INVITEES", 1000))
CONCURRENCY = int(os.environ.get("CONCURRENCY", 50))
# Bursts alternate between the two servers in this many rounds.
ROUNDS = int(os.environ.get("ROUNDS", 5))
WORKERS = 4
WARMUP = 40  # cycles per server, by invitees who are not counted
GUNICORN = os.environ.get("GUNICORN", str(Path(sys.executable).parent / "gunicorn"))
REQUEST_TIMEOUT_S = 30
BURST_TIMEOUT_S = 600
START_TIMEOUT_S = 60

CSRF_INPUT = re.compile(
    r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"'
)


# --- the two applications (gunicorn imports this module and calls one of these) ----------


def coordapp_app():
    """The real app, configured from the environment the bench hands to gunicorn, and
    made ready to serve as wsgi.py does."""
    from coordapp import create_app, serving

    return serving(
        create_app(
            {
                "SQLALCHEMY_DATABASE_URI": os.environ["BENCH_DATABASE_URL"],
                "SECRET_KEY": SECRET_KEY,
                "MAIL_DELIVER_AFTER_COMMIT": False,
                "MAIL_FILE_DIR": os.environ.get("BENCH_MAIL_DIR", tempfile.gettempdir()),
            }
        )
    )


BARE_PAGE = """<!doctype html>
<html><head><title>{{ invitee.name }}</title></head>
<body><h1>Invitation for {{ invitee.name }}</h1>
<form method="post">{{ form.csrf_token }}
{% for choice in form.status %}<label>{{ choice() }} {{ choice.label }}</label>{% endfor %}
<button type="submit">Send</button></form></body></html>
"""


def bare_app():
    """Flask + Flask-WTF + Flask-SQLAlchemy and nothing else: read one row, render a CSRF
    form; on POST validate the token and insert one row."""
    import sqlalchemy as sa
    from flask import Flask, abort, redirect, render_template_string, request
    from flask_sqlalchemy import SQLAlchemy
    from flask_wtf import CSRFProtect, FlaskForm
    from wtforms import RadioField
    from wtforms.validators import InputRequired

    app = Flask(__name__)
    app.config.update(
        SQLALCHEMY_DATABASE_URI=os.environ["BENCH_DATABASE_URL"],
        SECRET_KEY=SECRET_KEY,
        WTF_CSRF_TIME_LIMIT=None,
    )
    db = SQLAlchemy(app)
    CSRFProtect(app)
    invitees, answers = bare_tables(sa.MetaData())

    class Answer(FlaskForm):
        status = RadioField(
            "Answer",
            choices=[("accepted", "Yes"), ("tentative", "Maybe"), ("declined", "No")],
            validators=[InputRequired()],
        )

    @app.route("/r/<token>", methods=["GET", "POST"])
    def answer(token: str):
        invitee = db.session.execute(sa.select(invitees).where(invitees.c.token == token)).first()
        if invitee is None:
            abort(404)
        form = Answer()
        if request.method == "POST":
            if not form.validate():
                abort(400)
            db.session.execute(
                sa.insert(answers).values(invitee_id=invitee.id, status=form.status.data)
            )
            db.session.commit()
            return redirect(f"/r/{token}?done=1", code=303)
        return render_template_string(BARE_PAGE, invitee=invitee, form=form)

    return app


def bare_tables(metadata):
    import sqlalchemy as sa

    invitees = sa.Table(
        "bench_bare_invitees",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("token", sa.String(80), unique=True, nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
    )
    answers = sa.Table(
        "bench_bare_answers",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("invitee_id", sa.ForeignKey("bench_bare_invitees.id"), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.func.now()),
    )
    return invitees, answers


# --- setting up the database ---------------------------------------------------------------


def migrate_fresh(app) -> None:
    import sqlalchemy as sa
    from flask_migrate import upgrade

    from coordapp.extensions import db

    with app.app_context():
        with db.engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
        upgrade()
        db.engine.dispose()


def make_invitees(app) -> tuple[list[str], list[str]]:
    """A scheduled meeting with INVITEES + WARMUP invitees; their RSVP paths."""
    from datetime import UTC, datetime, timedelta

    from _invitees import add_invitees

    from coordapp.extensions import db
    from coordapp.invitations.service import invite_contacts, rsvp_token
    from coordapp.models import Contact, Role
    from tests.factories import make_meeting, make_series, make_user

    with app.app_context():
        user = make_user(role=Role.SECRETARIAT, email="bench@example.org", name="Bench Secretariat")
        chair = make_user(email="chair@example.org", name="Jane Chair")
        start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=30)
        meeting = make_meeting(
            title="Country Network on Migration, spring meeting",
            series=make_series("Country Network on Migration"),
            number=4,
            starts_at=start,
            venue="UN House, 17 Kirov Street, Minsk",
            rsvp_deadline=start - timedelta(days=5),
            chairs=[(chair, "Co-chair, UN Resident Coordinator")],
        )
        add_invitees(INVITEES + WARMUP)
        contacts = db.session.scalars(db.select(Contact).order_by(Contact.email)).all()
        result = invite_contacts(meeting, contacts, by=user, send=False)
        db.session.commit()
        paths = [f"/rsvp/{rsvp_token(i)}" for i in result.invited]
        db.engine.dispose()
    return paths[WARMUP:], paths[:WARMUP]


def make_bare_invitees() -> tuple[list[str], list[str]]:
    import secrets

    import sqlalchemy as sa

    engine = sa.create_engine(DATABASE_URL)
    metadata = sa.MetaData()
    invitees, _answers = bare_tables(metadata)
    metadata.create_all(engine)
    tokens = [secrets.token_urlsafe(24) for _ in range(INVITEES + WARMUP)]
    with engine.begin() as conn:
        conn.execute(
            sa.insert(invitees),
            [{"token": t, "name": f"Invitee {n:04d}"} for n, t in enumerate(tokens)],
        )
    engine.dispose()
    paths = [f"/r/{t}" for t in tokens]
    return paths[WARMUP:], paths[:WARMUP]


# --- serving -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(factory: str, port: int, logfile: Path) -> subprocess.Popen:
    env = dict(os.environ, BENCH_DATABASE_URL=DATABASE_URL, BENCH_MAIL_DIR=str(logfile.parent))
    env["PGAPPNAME"] = f"rsvp-burst-{factory}"  # libpq: names its PostgreSQL backends
    env.pop("DATABASE_URL", None)
    log = logfile.open("wb")
    process = subprocess.Popen(
        [
            GUNICORN,
            "--workers",
            str(WORKERS),
            "--worker-class",
            "sync",
            "--bind",
            f"127.0.0.1:{port}",
            "--timeout",
            "30",
            "--graceful-timeout",
            "5",
            "--chdir",
            str(ROOT),
            "--pythonpath",
            f"{ROOT},{ROOT / 'bench'}",
            f"rsvp_burst:{factory}()",
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: stopped as one below
    )
    log.close()
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited at start, see {logfile}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return process
        except OSError:
            time.sleep(0.2)
    stop_gunicorn(process)
    raise RuntimeError(f"gunicorn did not listen within {START_TIMEOUT_S} s, see {logfile}")


def stop_gunicorn(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


# --- CPU spent by each server (its gunicorn workers, its PostgreSQL backends) ----------------


def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def _workers(process: subprocess.Popen) -> list[int]:
    try:
        children = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text()
    except OSError:
        return []
    return [int(pid) for pid in children.split()]


def _backends(factory: str) -> list[int]:
    import sqlalchemy as sa

    engine = sa.create_engine(DATABASE_URL)
    with engine.connect() as conn:
        pids = conn.scalars(
            sa.text("SELECT pid FROM pg_stat_activity WHERE application_name = :name"),
            {"name": f"rsvp-burst-{factory}"},
        ).all()
    engine.dispose()
    return list(pids)


@dataclass
class CpuMeter:
    """CPU seconds of one server's workers and of its database backends (same machine),
    per burst: where a cycle's cost goes, beside the throughput."""

    process: subprocess.Popen
    factory: str
    worker_s: float = 0.0
    database_s: float = 0.0

    def _now(self) -> tuple[float, float]:
        workers = sum(_cpu_seconds(pid) for pid in _workers(self.process))
        database = sum(_cpu_seconds(pid) for pid in _backends(self.factory))
        return workers, database

    def measure(self, run):
        before = self._now()
        result = run()
        after = self._now()
        self.worker_s += after[0] - before[0]
        self.database_s += after[1] - before[1]
        return result


# --- the client ----------------------------------------------------------------------------


@dataclass
class Cycle:
    get_s: float = 0.0
    post_s: float = 0.0
    error: str | None = None

    @property
    def total_s(self) -> float:
        return self.get_s + self.post_s


def _request(
    port: int, method: str, path: str, body: str | None = None, headers: dict | None = None
):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT_S)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.getheader("Set-Cookie"), response.read()
    finally:
        connection.close()


def answer_once(port: int, path: str, status: str) -> Cycle:
    """GET the page, then POST the answer with its CSRF token and session cookie."""
    cycle = Cycle()
    try:
        began = time.perf_counter()
        code, set_cookie, body = _request(port, "GET", path)
        cycle.get_s = time.perf_counter() - began
        if code != 200:
            cycle.error = f"GET {code}"
            return cycle
        match = CSRF_INPUT.search(body.decode())
        if not match or not set_cookie:
            cycle.error = "GET: no CSRF token or no session cookie"
            return cycle
        token = match.group(1) or match.group(2)
        cookie = set_cookie.split(";", 1)[0]
        began = time.perf_counter()
        code, _cookie, _body = _request(
            port,
            "POST",
            path,
            body=urlencode({"csrf_token": token, "status": status, "needs": "", "comment": ""}),
            headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie},
        )
        cycle.post_s = time.perf_counter() - began
        if code != 303:
            cycle.error = f"POST {code}"
    except (OSError, http.client.HTTPException) as error:
        cycle.error = f"{type(error).__name__}: {error}"
    return cycle


@dataclass
class Burst:
    seconds: float
    cycles: list[Cycle] = field(default_factory=list)

    @property
    def errors(self) -> list[str]:
        return [c.error for c in self.cycles if c.error]

    @property
    def rate(self) -> float:
        return len(self.cycles) / self.seconds

    def p95(self, attribute: str) -> float:
        values = sorted(getattr(c, attribute) for c in self.cycles if not c.error)
        if len(values) < 2:
            return float("nan")
        return statistics.quantiles(values, n=20)[-1]


def burst(port: int, paths: list[str], status: str, concurrency: int) -> Burst:
    began = time.perf_counter()
    cycles = []
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        futures = [pool.submit(answer_once, port, path, status) for path in paths]
        for future in as_completed(futures, timeout=BURST_TIMEOUT_S):
            cycles.append(future.result())
    return Burst(seconds=time.perf_counter() - began, cycles=cycles)


def serve(name: str, factory: str, warmup: list[str], workdir: Path) -> tuple:
    """Start gunicorn for one of the two apps and warm every worker up."""
    port = free_port()
    process = start_gunicorn(factory, port, workdir / f"{name}-gunicorn.log")
    warm = burst(port, warmup, "tentative", concurrency=8)
    if warm.errors:
        print(f"{name} warm-up errors: {warm.errors[:5]}", file=sys.stderr)
    return process, port


def combined(bursts: list[Burst]) -> Burst:
    return Burst(
        seconds=sum(b.seconds for b in bursts), cycles=[c for b in bursts for c in b.cycles]
    )


def report(name: str, result: Burst) -> None:
    print(
        f"{name}: {len(result.cycles)} cycles in {result.seconds:.2f} s = "
        f"{result.rate:.1f} cycles/s; p95 cycle {result.p95('total_s') * 1000:.0f} ms "
        f"(GET {result.p95('get_s') * 1000:.0f} ms, POST {result.p95('post_s') * 1000:.0f} ms); "
        f"errors {len(result.errors)}"
    )
    for error in sorted(set(result.errors))[:5]:
        print(f"  {name} error: {error}")


def alternate(
    app_port: int,
    bare_port: int,
    app_paths: list[str],
    bare_paths: list[str],
    meters: tuple[CpuMeter, CpuMeter],
):
    """ROUNDS rounds, each a burst against the app then the same against the bare
    endpoint: whatever else the machine is doing weighs on both alike."""
    app_bursts, bare_bursts = [], []
    app_meter, bare_meter = meters
    for n in range(ROUNDS):
        part = slice(n * len(app_paths) // ROUNDS, (n + 1) * len(app_paths) // ROUNDS)
        app_bursts.append(
            app_meter.measure(
                lambda part=part: burst(app_port, app_paths[part], "accepted", CONCURRENCY)
            )
        )
        bare_bursts.append(
            bare_meter.measure(
                lambda part=part: burst(bare_port, bare_paths[part], "accepted", CONCURRENCY)
            )
        )
        print(
            f"round {n + 1}/{ROUNDS}: app {app_bursts[-1].rate:.1f} cycles/s, "
            f"bare {bare_bursts[-1].rate:.1f} cycles/s, "
            f"ratio {app_bursts[-1].rate / bare_bursts[-1].rate:.2f}"
        )
    return app_bursts, bare_bursts


# --- checking what was stored --------------------------------------------------------------


def check_app_answers(app) -> list[str]:
    from coordapp.extensions import db
    from coordapp.models import (
        AuditEvent,
        Invitation,
        InvitationStatus,
        MessageKind,
        OutgoingMessage,
    )

    problems = []
    with app.app_context():

        def count(query) -> int:
            return db.session.scalar(query) or 0

        by_status = dict(
            db.session.execute(
                db.select(Invitation.status, db.func.count()).group_by(Invitation.status)
            ).all()
        )
        answers = count(
            db.select(db.func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "invitations.answer")
        )
        answered = count(
            db.select(db.func.count(db.distinct(AuditEvent.object_id))).where(
                AuditEvent.action == "invitations.answer"
            )
        )
        confirmations = count(
            db.select(db.func.count())
            .select_from(OutgoingMessage)
            .where(OutgoingMessage.kind == MessageKind.CONFIRMATION)
        )
        db.engine.dispose()
    accepted = by_status.get(InvitationStatus.ACCEPTED, 0)
    tentative = by_status.get(InvitationStatus.TENTATIVE, 0)
    print(
        f"app stored: accepted={accepted} tentative(warm-up)={tentative} "
        f"answer audit rows={answers} for {answered} invitations "
        f"confirmations queued={confirmations}"
    )
    if accepted != INVITEES:
        problems.append(f"app: {accepted} invitations accepted, expected {INVITEES}")
    if tentative != WARMUP:
        problems.append(f"app: {tentative} warm-up answers, expected {WARMUP}")
    if answers != INVITEES + WARMUP or answered != answers:
        problems.append(
            f"app: {answers} answer audit rows for {answered} invitations, "
            f"expected {INVITEES + WARMUP}, one per invitation"
        )
    if confirmations != INVITEES + WARMUP:
        problems.append(f"app: {confirmations} confirmations, expected {INVITEES + WARMUP}")
    return problems


def check_bare_answers() -> list[str]:
    import sqlalchemy as sa

    engine = sa.create_engine(DATABASE_URL)
    _invitees, answers = bare_tables(sa.MetaData())
    with engine.connect() as conn:
        rows = dict(
            conn.execute(
                sa.select(answers.c.status, sa.func.count()).group_by(answers.c.status)
            ).all()
        )
        distinct = conn.scalar(sa.select(sa.func.count(sa.distinct(answers.c.invitee_id))))
    engine.dispose()
    print(f"bare stored: {rows}, {distinct} distinct invitees")
    if rows.get("accepted") != INVITEES or rows.get("tentative") != WARMUP:
        return [f"bare: stored {rows}, expected {INVITEES} accepted and {WARMUP} tentative"]
    if distinct != INVITEES + WARMUP:
        return [f"bare: {distinct} invitees answered, expected {INVITEES + WARMUP}"]
    return []


def main() -> int:
    if not DATABASE_URL.startswith("postgresql"):
        print("rsvp_burst needs PostgreSQL (DATABASE_URL)", file=sys.stderr)
        return 2
    from coordapp import create_app

    workdir = Path(tempfile.mkdtemp(prefix="coordapp-bench-"))
    setup_app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": DATABASE_URL,
            "SECRET_KEY": SECRET_KEY,
            "MAIL_DELIVER_AFTER_COMMIT": False,
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        }
    )
    began = time.perf_counter()
    migrate_fresh(setup_app)
    app_paths, app_warmup = make_invitees(setup_app)
    bare_paths, bare_warmup = make_bare_invitees()
    print(
        f"set up: migrated {DATABASE_URL.rsplit('/', 1)[-1]}, {INVITEES} invitees "
        f"(+{WARMUP} warm-up) each, in {time.perf_counter() - began:.1f} s; "
        f"gunicorn {WORKERS} sync workers, concurrency {CONCURRENCY}"
    )

    servers = []
    try:
        servers.append(serve("app", "coordapp_app", app_warmup, workdir))
        servers.append(serve("bare", "bare_app", bare_warmup, workdir))
        meters = (CpuMeter(servers[0][0], "coordapp_app"), CpuMeter(servers[1][0], "bare_app"))
        app_bursts, bare_bursts = alternate(
            servers[0][1], servers[1][1], app_paths, bare_paths, meters
        )
    finally:
        for process, _port in servers:
            stop_gunicorn(process)
    app_result, bare_result = combined(app_bursts), combined(bare_bursts)
    report("app", app_result)
    report("bare", bare_result)
    for name, meter, result in (("app", meters[0], app_result), ("bare", meters[1], bare_result)):
        cycles = len(result.cycles)
        print(
            f"{name} CPU per cycle: gunicorn workers {meter.worker_s / cycles * 1000:.1f} ms, "
            f"PostgreSQL backends {meter.database_s / cycles * 1000:.1f} ms"
        )
    round_ratios = [a.rate / b.rate for a, b in zip(app_bursts, bare_bursts, strict=True)]

    problems = check_app_answers(setup_app) + check_bare_answers()
    problems += [
        f"{name}: {len(r.errors)} errors"
        for name, r in (("app", app_result), ("bare", bare_result))
        if r.errors
    ]
    for problem in problems:
        print(f"PROBLEM: {problem}", file=sys.stderr)
    print(
        f"app_cycles_per_s={app_result.rate:.1f} app_p95_ms={app_result.p95('total_s') * 1000:.0f} "
        f"app_errors={len(app_result.errors)} bare_cycles_per_s={bare_result.rate:.1f} "
        f"bare_p95_ms={bare_result.p95('total_s') * 1000:.0f} "
        f"bare_errors={len(bare_result.errors)}"
    )
    print(f"median round ratio={statistics.median(round_ratios):.2f}")
    print(f"ratio={app_result.rate / bare_result.rate:.2f}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
