"""What the benchmarks share: an organisation of many contacts, written in one INSERT."""

from __future__ import annotations

from coordapp.extensions import db
from coordapp.models import Category, Contact, Organisation


def add_invitees(count: int) -> Organisation:
    """ "District administrations" (local government) with `count` contacts
    invitee0000@example.org…, in the current transaction."""
    organisation = Organisation(
        name="District administrations", acronym="DA", category=Category.LOCAL_GOVERNMENT
    )
    db.session.add(organisation)
    db.session.flush()
    db.session.execute(
        db.insert(Contact),
        [
            {
                "name": f"Invitee {n:04d}",
                "email": f"invitee{n:04d}@example.org",
                "organisation_id": organisation.id,
                "language": "en",
            }
            for n in range(count)
        ],
    )
    return organisation
