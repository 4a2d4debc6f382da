"""Answers that arrive by email: calendar replies, bounces, auto-replies, plain replies."""
