"""PCO's JSON:API error bodies."""
from __future__ import annotations


class ApiError(Exception):
    def __init__(self, status: int, title: str, detail: str, *, parameter: str | None = None,
                 code: str | None = None, meta: dict | None = None,
                 headers: dict | None = None):
        super().__init__(detail)
        self.status, self.title, self.detail = status, title, detail
        self.parameter, self.code, self.meta = parameter, code, meta
        self.headers = headers or {}

    def body(self) -> dict:
        err: dict = {"status": str(self.status), "title": self.title, "detail": self.detail}
        if self.code:
            err["code"] = self.code
        if self.parameter:
            err["source"] = {"parameter": self.parameter}
        if self.meta:
            err["meta"] = self.meta
        return {"errors": [err]}


def not_found(what: str = "resource") -> ApiError:
    return ApiError(404, "Not Found", f"The {what} you requested could not be found")


def forbidden(action: str, type_: str) -> ApiError:
    # The words PCO answers a POST to /groups/v2/groups with (developers#1176).
    return ApiError(403, "Forbidden", "You do not have access to this resource",
                    meta={"description": f"User with id 1 cannot {action} a {type_}."})


def no_access() -> ApiError:
    # PCO's answer to a token whose user cannot use the product (developers#845, #113).
    return ApiError(403, "Forbidden", "You do not have access to this resource")


def validation(detail: str, parameter: str, resource: str) -> ApiError:
    return ApiError(422, "Validation Error", detail, parameter=parameter,
                    meta={"resource": resource})


def forbidden_attribute(attr: str) -> ApiError:
    return ApiError(422, "Forbidden Attribute", f"{attr} cannot be assigned",
                    parameter=f"data.attributes.{attr}")
