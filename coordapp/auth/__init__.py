"""Logging in and out, one's own password and language, login sessions."""
