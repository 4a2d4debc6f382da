"""The invitee's personal page, behind the link in their invitation."""

from coordapp.feature import Feature
from coordapp.rsvp import routes

FEATURE = Feature(
    name="rsvp",
    blueprints=[routes.bp],
)
