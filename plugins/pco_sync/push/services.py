"""Adding a person to PCO Services, which PCO requires before their first team assignment.

PCO answers an assignment for a person who is not in Services with 422 "must exist"
(developers' issues #1417, #1328); a person is added to Services by giving them the Services
app: POST /people/v2/people/{id}/person_apps with the app's id, as PCO lists it at
/people/v2/apps (looked up once per push, only when needed). Adding someone who has the app
already ("has already been taken") is done too. The push adds a person first when its plan
does not know them in Services (the latest Services people read lists them not, nor holds
an assignment of theirs), and after PCO's 422 when the read was out of date.
"""
from __future__ import annotations

from pco_sync.errors import PcoError
from pco_sync.pco.client import PcoClient

APP_NAME = "Services"


def not_in_services(exc: PcoError) -> bool:
    """PCO's refusal of an assignment because the person is not in Services."""
    return exc.status == 422 and "must exist" in (exc.detail or "").lower()


class ServicesAccess:
    def __init__(self, client: PcoClient):
        self.client = client
        self._app_id: str | None = None
        self.added: set[str] = set()  # people this push added (or found added)

    def app_id(self) -> str:
        if self._app_id is None:
            for rec, _ in self.client.records("/people/v2/apps"):
                if (rec.get("attributes") or {}).get("name") == APP_NAME:
                    self._app_id = str(rec["id"])
                    break
            else:
                raise PcoError(f"PCO lists no {APP_NAME} app at /people/v2/apps: cannot add "
                               "people to Services")
        return self._app_id

    def add(self, person_pco_id: str) -> None:
        """Give the person the Services app (PcoError when PCO refuses)."""
        request = self.describe(person_pco_id, self.app_id())
        try:
            self.client.request("POST", request["path"], json_body=request["body"])
        except PcoError as exc:
            if not (exc.status == 422 and "taken" in (exc.detail or "").lower()):
                raise
        self.added.add(person_pco_id)

    @staticmethod
    def describe(person_pco_id: str, app_id: str = "<Services app>") -> dict:
        """The request that adds the person to Services (a dry run lists it)."""
        return {"method": "POST", "path": f"/people/v2/people/{person_pco_id}/person_apps",
                "body": {"data": {"type": "PersonApp", "attributes": {"app_id": app_id}}}}
