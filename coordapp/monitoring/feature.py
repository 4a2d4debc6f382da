"""Monitoring: /metrics (routes.py) and what it reads from the database (collect.py)."""

from coordapp.feature import Feature
from coordapp.monitoring import routes

FEATURE = Feature(name="monitoring", blueprints=[routes.bp])
