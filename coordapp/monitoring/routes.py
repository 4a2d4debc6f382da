"""GET /metrics: Prometheus text format, for a bearer token (METRICS_TOKEN) or the
addresses in METRICS_ALLOW (comma-separated addresses or networks); everyone else gets
401. Not configured, nobody gets in.

Requests by endpoint, method and status, with latency histograms, are counted in each
process with prometheus_client; under gunicorn set PROMETHEUS_MULTIPROC_DIR (an empty
directory, cleared at each start) so that every worker's counts add up in one answer
(prometheus_client's multiprocess mode). Everything else is read from the database at
scrape time (collect.py), the same from any process."""

from __future__ import annotations

import hmac
import ipaddress
import os
import time

from flask import Blueprint, Response, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)

from coordapp.access import public
from coordapp.monitoring.collect import DatabaseCollector

bp = Blueprint("monitoring", __name__)

REQUESTS = Counter(
    "coordapp_http_requests",
    "HTTP requests answered, by endpoint, method and status.",
    ["endpoint", "method", "status"],
)
LATENCY = Histogram(
    "coordapp_http_request_duration_seconds",
    "Time to answer an HTTP request, by endpoint.",
    ["endpoint"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


@bp.before_app_request
def _start_timer() -> None:
    g.metrics_started = time.perf_counter()


@bp.after_app_request
def _count_request(response: Response) -> Response:
    started = g.pop("metrics_started", None)
    if started is not None:
        # The route's name, not its path: bounded, and free of personal-link tokens.
        endpoint = request.url_rule.endpoint if request.url_rule else "unmatched"
        REQUESTS.labels(endpoint, request.method, str(response.status_code)).inc()
        LATENCY.labels(endpoint).observe(time.perf_counter() - started)
    return response


def _allowed() -> bool:
    token = current_app.config.get("METRICS_TOKEN")
    given = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return True
    allowed = current_app.config.get("METRICS_ALLOW") or ""
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    for network in filter(None, (part.strip() for part in allowed.split(","))):
        if address in ipaddress.ip_network(network, strict=False):
            return True
    return False


def _process_metrics() -> bytes:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest(REGISTRY)


@bp.get("/metrics")
@public  # but only for the token or the allowed addresses (above)
def metrics():
    if not _allowed():
        return Response(
            "metrics need a bearer token (METRICS_TOKEN) or an allowed address\n",
            status=401,
            mimetype="text/plain",
            headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
        )
    from_database = CollectorRegistry()
    from_database.register(DatabaseCollector())
    body = _process_metrics() + generate_latest(from_database)
    return Response(
        body, mimetype=CONTENT_TYPE_LATEST.split(";")[0], content_type=CONTENT_TYPE_LATEST
    )
