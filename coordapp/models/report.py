"""Periodic reports of a series rendered to PDF by the worker (coordapp/reports/tasks.py):
stored with every other worker-rendered PDF (models/document.py, `ReportDocument`)."""

from coordapp.models.document import ReportDocument

__all__ = ["ReportDocument"]
