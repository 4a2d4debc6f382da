"""The background worker's entry point: `huey_consumer coordapp.worker.huey`.

Importing this module registers every task; tasks build their own app context.
"""

from coordapp import tasks  # noqa: F401  (registers the tasks)
from coordapp.jobs import huey  # noqa: F401
