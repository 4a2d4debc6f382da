"""Commitments partners make at meetings, tracked until done (see routes.py)."""
