"""The invitee's personal page, behind the link in their invitation, and the answers
their calendar program sends by email."""

from coordapp.feature import Feature
from coordapp.rsvp import inbound, routes

FEATURE = Feature(
    name="rsvp",
    blueprints=[routes.bp],
    inbound_handlers=[inbound.handle_calendar],
)
