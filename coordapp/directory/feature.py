"""Organisations and contacts, their CSV import and export."""

from flask_babel import lazy_gettext as _l

from coordapp.directory import routes
from coordapp.feature import Feature

FEATURE = Feature(
    name="directory",
    blueprints=[routes.bp],
    audit_labels={
        "directory.organisation_create": _l("Added an organisation"),
        "directory.organisation_edit": _l("Edited an organisation"),
        "directory.organisation_deactivate": _l("Deactivated an organisation"),
        "directory.organisation_reactivate": _l("Reactivated an organisation"),
        "directory.contact_create": _l("Added a contact"),
        "directory.contact_edit": _l("Edited a contact"),
        "directory.contact_deactivate": _l("Deactivated a contact"),
        "directory.contact_reactivate": _l("Reactivated a contact"),
        "directory.contacts_import": _l("Imported contacts"),
    },
)
