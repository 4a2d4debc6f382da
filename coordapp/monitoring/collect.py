"""What /metrics reports from the database, computed at each scrape: the same answer
from every web process (gunicorn workers, machines), nothing kept in memory.

- the outbox: messages by state, the age of the oldest message due, deliveries,
  failures and bounces (the outbox rows' own states: sent, failed; bounced_at, set when a
  permanent bounce for the row comes back to the inbox);
- jobs: queued in the job queue, running (a live lease) and stalled (lease run out, to
  be queued again) per kind of row, re-queues by the sweep, durations per job (the
  worker's counters, coordapp/counters.py: render_minutes_pdf and sign_approval are the
  minutes' rendering and signing);
- logins failed and requests throttled in the last hour;
- RSVP answers by status, poll answers;
- the workers' heartbeats.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
)

from coordapp import counters
from coordapp.extensions import db
from coordapp.feature import installed
from coordapp.models import (
    GeneratedDocument,
    Invitation,
    LoginAttempt,
    MessageStatus,
    MinutesApproval,
    MinutesDocument,
    OutgoingMessage,
    PollRespondent,
    RateLimitHit,
    ReportDocument,
    WorkerHeartbeat,
)

# Rows a worker job works on, by kind: PENDING with a lease (claimed_at).
LEASED = {
    "minutes_pdf": MinutesDocument,
    "signature": MinutesApproval,
    "agenda_pdf": GeneratedDocument,
    "report_pdf": ReportDocument,
}
_LABEL = re.compile(r'(\w+)="([^"]*)"')


def _outbox(now: datetime):
    by_state = dict.fromkeys((s.value for s in MessageStatus), 0)
    for status, count in db.session.execute(
        sa.select(OutgoingMessage.status, sa.func.count()).group_by(OutgoingMessage.status)
    ):
        by_state[status.value] = count
    gauge = GaugeMetricFamily(
        "coordapp_outbox_messages", "Outgoing messages by state.", labels=["state"]
    )
    for state, count in sorted(by_state.items()):
        gauge.add_metric([state], count)
    yield gauge
    oldest = db.session.scalar(
        sa.select(sa.func.min(OutgoingMessage.next_attempt_at)).where(
            OutgoingMessage.status == MessageStatus.QUEUED,
            OutgoingMessage.next_attempt_at <= now,
        )
    )
    age = GaugeMetricFamily(
        "coordapp_outbox_oldest_due_age_seconds",
        "How long the oldest message due for delivery has waited (0: none waiting).",
    )
    age.add_metric([], max(0.0, (now - _aware(oldest)).total_seconds()) if oldest else 0.0)
    yield age
    delivered = CounterMetricFamily(
        "coordapp_mail_deliveries", "Messages the mail server accepted (outbox rows sent)."
    )
    delivered.add_metric([], by_state[MessageStatus.SENT.value])
    yield delivered
    failed = CounterMetricFamily(
        "coordapp_mail_failures",
        "Messages given up on: refused for good or out of attempts (outbox rows failed).",
    )
    failed.add_metric([], by_state[MessageStatus.FAILED.value])
    yield failed
    retries, bounces = db.session.execute(
        sa.select(
            sa.func.coalesce(
                sa.func.sum(OutgoingMessage.attempts - 1).filter(OutgoingMessage.attempts > 1), 0
            ),
            sa.func.count(OutgoingMessage.bounced_at),
        )
    ).one()
    retried = CounterMetricFamily(
        "coordapp_mail_retries", "Delivery attempts beyond each message's first."
    )
    retried.add_metric([], retries)
    yield retried
    bounced = CounterMetricFamily(
        "coordapp_mail_bounces",
        "Messages the mail server accepted that bounced later: a permanent failure report "
        "came back to the inbox (outbox rows marked bounced; coordapp/inbound).",
    )
    bounced.add_metric([], bounces)
    yield bounced


def _aware(when: datetime) -> datetime:
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _jobs(now: datetime):
    from coordapp.jobs import huey, lease_cutoff

    queued = GaugeMetricFamily("coordapp_jobs_queued", "Jobs waiting in the job queue.")
    queued.add_metric([], huey.pending_count())
    yield queued
    running = GaugeMetricFamily(
        "coordapp_jobs_running", "Jobs under way (a live lease), by kind.", labels=["kind"]
    )
    stalled = GaugeMetricFamily(
        "coordapp_jobs_lease_expired",
        "Jobs whose worker died (lease run out), waiting for the sweep, by kind.",
        labels=["kind"],
    )
    cutoff = lease_cutoff()
    for kind, model in LEASED.items():
        pending = model.status == model.status.type.enum_class("pending")
        live, expired = db.session.execute(
            sa.select(
                sa.func.count().filter(model.claimed_at >= cutoff),
                sa.func.count().filter(
                    sa.or_(model.claimed_at.is_(None), model.claimed_at < cutoff)
                ),
            ).where(pending)
        ).one()
        running.add_metric([kind], live)
        stalled.add_metric([kind], expired)
    yield running
    yield stalled


def _stored_counters():
    """The worker's counters and histograms (coordapp/counters.py)."""
    rows = counters.read_all()
    simple: dict[str, list] = defaultdict(list)
    histograms: dict[str, dict] = defaultdict(lambda: defaultdict(dict))
    for name, labels, value in rows:
        parsed = dict(_LABEL.findall(labels))
        for suffix in ("_bucket", "_sum", "_count"):
            if name.startswith("coordapp_job_duration_seconds") and name.endswith(suffix):
                base = name[: -len(suffix)]
                le = parsed.pop("le", None)
                key = tuple(sorted(parsed.items()))
                histograms[base][key][le if suffix == "_bucket" else suffix] = value
                break
        else:
            simple[name].append((parsed, value))
    requeues = CounterMetricFamily(
        "coordapp_job_requeues",
        "Jobs queued again after their worker died (lease expired), by sweep.",
        labels=["sweep"],
    )
    by_sweep = dict.fromkeys(
        (name for feature in installed() for name in feature.sweeps), 0.0
    )  # every sweep, 0 until it first queues something again
    for parsed, value in simple.pop("coordapp_job_requeues_total", []):
        by_sweep[parsed.get("sweep", "")] = value
    for sweep, value in sorted(by_sweep.items()):
        requeues.add_metric([sweep], value)
    yield requeues
    jobs = CounterMetricFamily(
        "coordapp_jobs", "Jobs the workers finished, by job and outcome.", labels=["job", "outcome"]
    )
    for parsed, value in simple.pop("coordapp_jobs_total", []):
        jobs.add_metric([parsed.get("job", ""), parsed.get("outcome", "")], value)
    yield jobs
    durations = HistogramMetricFamily(
        "coordapp_job_duration_seconds",
        "How long each job took in the worker (render_minutes_pdf: the minutes' rendering, "
        "sign_approval: a chair's signature).",
        labels=["job"],
    )
    for key, values in histograms.get("coordapp_job_duration_seconds", {}).items():
        buckets, running = [], 0.0
        for bound in counters.DURATION_BUCKETS:
            le = "+Inf" if bound == math.inf else repr(float(bound))
            running = values.get(le, running)  # a bucket never reached holds the one below
            buckets.append((le, running))
        durations.add_metric([dict(key).get("job", "")], buckets, sum_value=values.get("_sum", 0.0))
    yield durations


def _people(now: datetime):
    hour_ago = now - timedelta(hours=1)
    failures = GaugeMetricFamily(
        "coordapp_login_failures_last_hour", "Failed login attempts in the last hour."
    )
    failures.add_metric(
        [],
        db.session.scalar(
            sa.select(sa.func.count()).where(
                LoginAttempt.succeeded.is_(False), LoginAttempt.at >= hour_ago
            )
        ),
    )
    yield failures
    throttled = GaugeMetricFamily(
        "coordapp_throttled_hits_last_hour",
        "Requests counted against a rate limit (wrong personal links…) in the last hour, "
        "by bucket.",
        labels=["bucket"],
    )
    for bucket, count in db.session.execute(
        sa.select(RateLimitHit.bucket, sa.func.count())
        .where(RateLimitHit.at >= hour_ago)
        .group_by(RateLimitHit.bucket)
    ):
        throttled.add_metric([bucket], count)
    yield throttled
    answers = GaugeMetricFamily(
        "coordapp_rsvp_answers", "Invitations by their answer.", labels=["status"]
    )
    for status, count in db.session.execute(
        sa.select(Invitation.status, sa.func.count()).group_by(Invitation.status)
    ):
        answers.add_metric([status.value], count)
    yield answers
    polls = GaugeMetricFamily("coordapp_poll_answers", "People who answered a scheduling poll.")
    polls.add_metric(
        [],
        db.session.scalar(
            sa.select(sa.func.count()).where(PollRespondent.answered_at.is_not(None))
        ),
    )
    yield polls


def _workers(now: datetime):
    newest = db.session.scalar(sa.select(sa.func.max(WorkerHeartbeat.beat_at)))
    alive_after = now - timedelta(seconds=current_app.config["WORKER_HEARTBEAT_MAX_AGE"])
    age = GaugeMetricFamily(
        "coordapp_worker_heartbeat_age_seconds",
        "Seconds since the newest worker heartbeat (-1: no worker ever beat).",
    )
    age.add_metric([], (now - _aware(newest)).total_seconds() if newest else -1)
    yield age
    alive = GaugeMetricFamily(
        "coordapp_workers_alive", "Worker processes whose heartbeat is recent."
    )
    alive.add_metric(
        [],
        db.session.scalar(sa.select(sa.func.count()).where(WorkerHeartbeat.beat_at >= alive_after)),
    )
    yield alive


class DatabaseCollector:
    """A prometheus_client collector reading the database at scrape time."""

    def collect(self):
        now = datetime.now(UTC)
        up = GaugeMetricFamily(
            "coordapp_database_up", "1 when the database answered this scrape's queries."
        )
        try:
            families = [
                *_outbox(now),
                *_jobs(now),
                *_stored_counters(),
                *_people(now),
                *_workers(now),
            ]
        except sa.exc.SQLAlchemyError:
            db.session.rollback()
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from families
