"""Liveness for load balancers."""

from coordapp.feature import Feature
from coordapp.health import routes

FEATURE = Feature(
    name="health",
    blueprints=[routes.bp],
)
