"""The agenda builder: items, their order and times, attachments, print and PDF."""
