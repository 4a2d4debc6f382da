"""Running jobs at the same moment, as concurrent requests would (tests marked `commits`)."""

from __future__ import annotations

import threading
from collections.abc import Callable

from coordapp.extensions import db


def run_at_once(app, jobs: list[Callable[[], object]]) -> list[BaseException]:
    """Run each job in its own thread (own app context, session and connection), all
    released together, each committed after it returns (rolled back if it raises);
    returns what they raised, in the order they finished."""
    barrier = threading.Barrier(len(jobs))
    errors: list[BaseException] = []

    def run(job):
        with app.app_context():
            try:
                barrier.wait(timeout=30)
                job()
                db.session.commit()
            except BaseException as error:  # noqa: BLE001 - reported by the main thread
                db.session.rollback()
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return errors
