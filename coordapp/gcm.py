"""The frameworks a commitment can be tagged with: the 17 Sustainable Development Goals
(every series) and the 23 objectives of the Global Compact for Safe, Orderly and Regular
Migration (GCM, series that turn it on). Data and labels only: no feature, no query.

    GCM_OBJECTIVES[5]   -> "Enhance availability and flexibility of pathways for regular migration"
    gcm_label(5)        -> "Objective 5: Enhance availability and flexibility of pathways …"
    sdg_label(10)       -> "SDG 10 — Reduced inequalities"

Labels are translated into the language of the moment (the reader's, or the one a
document forces with `force_locale`).
"""

from __future__ import annotations

from flask_babel import LazyString
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from coordapp.models.commitment import SDG_NAMES

# The official short titles of the 23 objectives (A/RES/73/195, paragraph 16).
GCM_OBJECTIVES: dict[int, LazyString] = {
    1: _l(
        "Collect and utilize accurate and disaggregated data as a basis for evidence-based policies"
    ),
    2: _l(
        "Minimize the adverse drivers and structural factors that compel people to leave "
        "their country of origin"
    ),
    3: _l("Provide accurate and timely information at all stages of migration"),
    4: _l("Ensure that all migrants have proof of legal identity and adequate documentation"),
    5: _l("Enhance availability and flexibility of pathways for regular migration"),
    6: _l(
        "Facilitate fair and ethical recruitment and safeguard conditions that ensure decent work"
    ),
    7: _l("Address and reduce vulnerabilities in migration"),
    8: _l("Save lives and establish coordinated international efforts on missing migrants"),
    9: _l("Strengthen the transnational response to smuggling of migrants"),
    10: _l(
        "Prevent, combat and eradicate trafficking in persons in the context of international "
        "migration"
    ),
    11: _l("Manage borders in an integrated, secure and coordinated manner"),
    12: _l(
        "Strengthen certainty and predictability in migration procedures for appropriate "
        "screening, assessment and referral"
    ),
    13: _l(
        "Use migration detention only as a measure of last resort and work towards alternatives"
    ),
    14: _l(
        "Enhance consular protection, assistance and cooperation throughout the migration cycle"
    ),
    15: _l("Provide access to basic services for migrants"),
    16: _l("Empower migrants and societies to realize full inclusion and social cohesion"),
    17: _l(
        "Eliminate all forms of discrimination and promote evidence-based public discourse to "
        "shape perceptions of migration"
    ),
    18: _l(
        "Invest in skills development and facilitate mutual recognition of skills, "
        "qualifications and competences"
    ),
    19: _l(
        "Create conditions for migrants and diasporas to fully contribute to sustainable "
        "development in all countries"
    ),
    20: _l(
        "Promote faster, safer and cheaper transfer of remittances and foster financial "
        "inclusion of migrants"
    ),
    21: _l(
        "Cooperate in facilitating safe and dignified return and readmission, as well as "
        "sustainable reintegration"
    ),
    22: _l(
        "Establish mechanisms for the portability of social security entitlements and earned "
        "benefits"
    ),
    23: _l(
        "Strengthen international cooperation and global partnerships for safe, orderly and "
        "regular migration"
    ),
}


def gcm_title(objective: int) -> str:
    """The short title of a GCM objective ("" for a number that is not one)."""
    return str(GCM_OBJECTIVES.get(objective, ""))


def gcm_label(objective: int) -> str:
    """ "Objective 5: Enhance availability and flexibility of pathways for regular
    migration" (the way the Compact itself names its objectives)."""
    return _("Objective %(number)s: %(title)s", number=objective, title=gcm_title(objective))


def sdg_title(goal: int) -> str:
    """The official short name of a Sustainable Development Goal ("" if none)."""
    return str(SDG_NAMES.get(goal, ""))


def sdg_label(goal: int) -> str:
    """ "SDG 10 — Reduced inequalities"."""
    return _("SDG %(goal)s — %(name)s", goal=goal, name=sdg_title(goal))
