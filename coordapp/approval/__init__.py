"""Approval of minutes by the meeting's chairs: submit, approve, return, amend."""
