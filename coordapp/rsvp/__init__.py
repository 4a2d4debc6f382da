"""The participant's personal RSVP page (no account)."""
