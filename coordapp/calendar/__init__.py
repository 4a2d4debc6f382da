"""Calendar files: per-meeting .ics downloads and per-series subscription feeds."""
