"""Liveness for load balancers: 200 when the database answers, 503 when not."""
