"""Organisations and contacts, their CSV import and export."""

from flask_babel import lazy_gettext as _l

from coordapp.directory import routes
from coordapp.feature import Feature

FEATURE = Feature(
    name="directory",
    blueprints=[routes.bp],
    audit_labels={
        "organisation.create": _l("Added an organisation"),
        "organisation.edit": _l("Edited an organisation"),
        "organisation.deactivate": _l("Deactivated an organisation"),
        "organisation.reactivate": _l("Reactivated an organisation"),
        "contact.create": _l("Added a contact"),
        "contact.edit": _l("Edited a contact"),
        "contact.deactivate": _l("Deactivated a contact"),
        "contact.reactivate": _l("Reactivated a contact"),
        "contacts.import": _l("Imported contacts"),
    },
)
