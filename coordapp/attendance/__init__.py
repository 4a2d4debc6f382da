"""The meeting day: who came, walk-ins, and marking the meeting held."""
