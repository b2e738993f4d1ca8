"""The people scope: which PCO people the people merge brings into the church database.

    pco_sync_people_scope   "all" (default) | "services_active"

`all`: every PCO person, as always. `services_active`: the PCO people active in Services (a
person PCO Services lists and has not archived, or one holding a team position assignment
on a live team, per the latest whole read of the teams resource). A PCO person outside it is
not created here, but is still matched and linked to an unlinked local person (otherwise
the people push would create that person in PCO a second time); linked people who leave
it stay, linked, and are listed in sync.people_out_of_scope. docs/operating.md has the rule;
the SQL is include/sql/merge/people/scope*.sql, chosen by pco_sync.merge.run.

An Airflow Variable (per church `pco_sync_people_scope__<slug>`), and the churches-file field
`people_scope` as its default; a bad value is refused naming the Variable or the field.
"""
from __future__ import annotations

from pco_sync.errors import SettingsError

VARIABLE = "pco_sync_people_scope"
FIELD = "people_scope"  # of a church in churches.yaml
ALL = "all"
SERVICES_ACTIVE = "services_active"
SCOPES = (ALL, SERVICES_ACTIVE)


def people_scope(value, setting: str = VARIABLE) -> str:
    """The scope `value` names (None or blank: `all`); SettingsError naming `setting` (the
    Variable or the churches-file field a church would correct) for anything else."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return ALL
    scope = value.strip().lower() if isinstance(value, str) else value
    if not isinstance(scope, str) or scope not in SCOPES:
        raise SettingsError(f"{setting} must be one of {', '.join(SCOPES)}, not {value!r}")
    return scope
