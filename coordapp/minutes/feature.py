"""Writing the minutes, per agenda item, with their history."""

from coordapp.feature import Feature
from coordapp.minutes import routes

FEATURE = Feature(
    name="minutes",
    blueprints=[routes.bp],
)
