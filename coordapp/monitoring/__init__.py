"""Monitoring: /metrics for Prometheus (requests, outbox, jobs, logins, answers)."""
