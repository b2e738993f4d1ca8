"""Where a PCO record opens in PCO's own web app, for the review page's links."""
from __future__ import annotations

# PCO's web app addresses per stream; people ids are shown with PCO's "AC" prefix there.
WEB_APP = {
    "people": "https://people.planningcenteronline.com/people/AC{id}",
    "households": "https://people.planningcenteronline.com/households/{id}",
    "groups": "https://groups.planningcenteronline.com/groups/{id}",
    "events": "https://calendar.planningcenteronline.com/events/{id}",
    "event_instances": "https://calendar.planningcenteronline.com/events/{id}",
    "teams": "https://services.planningcenteronline.com/teams/{id}",
}
# Conflict and push entities named by the stream their PCO ids come from.
ENTITY_STREAM = {"person": "people", "family": "households", "email": "people",
                 "phone_number": "people", "address": "people", "group": "groups",
                 "event": "events", "team": "teams"}


def web_url(stream: str, pco_id: str | None) -> str | None:
    """The record's page in PCO, or None (no PCO id, or a stream without a page)."""
    template = WEB_APP.get(ENTITY_STREAM.get(stream, stream))
    return template.format(id=pco_id) if template and pco_id else None
