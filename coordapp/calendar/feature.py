"""Calendar feeds."""

from coordapp.calendar import routes
from coordapp.feature import Feature

FEATURE = Feature(
    name="calendar",
    blueprints=[routes.bp],
)
