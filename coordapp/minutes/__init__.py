"""Writing the minutes of a meeting, and the preview of the minutes document."""
