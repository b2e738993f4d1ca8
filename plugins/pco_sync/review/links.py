"""Where a PCO record opens in PCO's own web app, for the review page's links; or, for a
deployment whose PCO connection is the simulator, the simulator's view of the record (PCO's
web app knows nothing of simulated ids)."""
from __future__ import annotations

from urllib.parse import quote, urlsplit

PCO_API_HOST = "api.planningcenteronline.com"

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


def web_url(stream: str, pco_id: str | None, pco_api: str | None = None
            ) -> tuple[str | None, str]:
    """(the record's page, where it is: "PCO" or "the simulator"); None for the page when
    there is none (no PCO id, or a stream without a page). pco_api: the base URL of the
    church's PCO connection (None: PCO's)."""
    stream = ENTITY_STREAM.get(stream, stream)
    template = WEB_APP.get(stream)
    if not (template and pco_id):
        return None, "PCO"
    host = urlsplit(pco_api or "").hostname
    if host and host != PCO_API_HOST:  # the simulator's admin API shows the record as JSON
        return (f"{pco_api.rstrip('/')}/__admin/records/{stream}/{quote(str(pco_id))}",
                "the simulator")
    return template.format(id=pco_id), "PCO"
