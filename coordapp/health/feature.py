"""Probes for load balancers: liveness (/healthz) and readiness (/readyz)."""

from coordapp.feature import Feature
from coordapp.health import routes

FEATURE = Feature(
    name="health",
    blueprints=[routes.bp],
)
