"""Organisations asked to nominate their delegates to a meeting."""
