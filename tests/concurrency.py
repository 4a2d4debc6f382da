"""Running jobs at the same moment, as concurrent requests would (tests marked `commits`)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import sqlalchemy as sa

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


@contextmanager
def right_after_the_commit_of(model, then: Callable[[sa.Connection], int]) -> Iterator[list[int]]:
    """While open: the first time a session commits a transaction that holds a `model` row,
    `then(connection)` runs on a connection of its own and commits, as another request
    finishing at that very moment would (between a route's commit and its reply). Yields
    the list `then`'s non-zero result is appended to (so a test can show it ran)."""
    done: list[int] = []

    def other_request(session, transaction) -> None:
        holds = any(isinstance(row, model) for row in session.identity_map.values())
        if done or not holds or transaction.parent is not None:  # a savepoint, not the commit
            return
        with db.engine.begin() as connection:
            changed = then(connection)
        if changed:
            done.append(changed)

    sa.event.listen(sa.orm.Session, "after_transaction_end", other_request)
    try:
        yield done
    finally:
        sa.event.remove(sa.orm.Session, "after_transaction_end", other_request)
