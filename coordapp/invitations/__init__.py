"""Inviting stakeholders to a meeting and following their answers."""
