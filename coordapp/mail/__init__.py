"""Email: the outbox (queue.py), delivery by the worker (delivery.py, tasks.py) and the
secretariat's "outgoing mail" page (routes.py)."""
