"""Organisations and contacts, their CSV import and export."""
