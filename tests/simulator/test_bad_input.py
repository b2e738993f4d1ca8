"""Malformed requests get PCO's error bodies (never a 500, never a hang), odd but valid
strings round-trip unchanged, and the simulator keeps serving afterwards."""
from __future__ import annotations


import pytest



@pytest.fixture
def sim(wiped_sim):
    """One server per module, wiped before each test (tests/simulator/conftest.py)."""
    return wiped_sim


def pco_error(r, status):
    assert r.status_code == status, (r.status_code, r.text[:400])
    assert r.headers["content-type"].startswith("application/vnd.api+json")
    body = r.json()
    assert set(body) == {"errors"} and len(body["errors"]) == 1
    err = body["errors"][0]
    assert err["status"] == str(status) and err["title"] and err["detail"]
    return err


def person(pco, **attrs):
    r = pco.post(pco.base + "/people/v2/people",
                 json={"data": {"type": "Person", "attributes": {"first_name": "A", **attrs}}})
    assert r.status_code == 201, r.text
    return r.json()["data"]


def still_serving(pco):
    r = pco.get(pco.base + "/people/v2/people")
    assert r.status_code == 200 and "data" in r.json()


# ---- query parameters ----------------------------------------------------------------------
@pytest.mark.parametrize("path, params, parameter", [
    ("/people/v2/people", {"per_page": "abc"}, "per_page"),
    ("/people/v2/people", {"per_page": ""}, "per_page"),
    ("/people/v2/people", {"offset": "-1"}, "offset"),
    ("/people/v2/people", {"offset": "1.5"}, "offset"),
    ("/people/v2/people", {"where[nope]": "1"}, "where[nope]"),
    ("/people/v2/people", {"where[updated_at][gte]": "not-a-date"},
     "where[updated_at][gte]"),
    ("/people/v2/people", {"where[updated_at][lt]": "2026-13-45T00:00:00Z"},
     "where[updated_at][lt]"),
    ("/people/v2/people", {"where[updated_at][between]": "2026-01-01"}, None),
    ("/people/v2/people", {"where[first_name][gte]": "a"}, "where[first_name][gte]"),
    ("/people/v2/people", {"where[remote_id]": "abc"}, "where[remote_id]"),
    ("/people/v2/people", {"where[": "x"}, None),
    ("/people/v2/people", {"order": "bogus"}, "order"),
    ("/people/v2/people", {"order": "-bogus"}, "order"),
    ("/people/v2/people", {"include": "bogus"}, "include"),
    ("/people/v2/people", {"include": "emails,bogus"}, "include"),
    ("/people/v2/households", {"include": "emails"}, "include"),
    ("/groups/v2/groups", {"order": "updated_at"}, "order"),
    ("/groups/v2/groups", {"where[updated_at][gte]": "2026-01-01T00:00:00Z"}, None),
    ("/services/v2/teams", {"where[updated_at][gte]": "2026-01-01T00:00:00Z"}, None),
    ("/people/v2/addresses", {"where[updated_at][gte]": "2026-01-01T00:00:00Z"}, None),
])
def test_malformed_query_params_are_400_with_source_parameter(pco, path, params, parameter):
    person(pco)
    err = pco_error(pco.get(pco.base + path, params=params), 400)
    assert err["title"] == "Bad Request"
    if parameter is None:
        parameter = next(iter(params))
    assert err["source"]["parameter"] == parameter
    still_serving(pco)


def test_bad_include_on_a_single_record_is_400(pco):
    pid = person(pco)["id"]
    err = pco_error(pco.get(pco.base + f"/people/v2/people/{pid}", params={"include": "nope"}),
                    400)
    assert err["source"]["parameter"] == "include"


def test_unknown_query_params_are_ignored(pco):
    person(pco)
    r = pco.get(pco.base + "/people/v2/people", params={"utm_source": "x", "filter": ""})
    assert r.status_code == 200 and len(r.json()["data"]) == 1


# ---- bodies --------------------------------------------------------------------------------
@pytest.mark.parametrize("raw", [
    b"not json", b"{", b"\xff\xfe\x00", b"{'data': {}}", b'{"data": {"attributes": {}}}x',
])
def test_bodies_that_are_not_json_are_400(pco, raw):
    pid = person(pco)["id"]
    for method, path in (("POST", "/people/v2/people"), ("PATCH", f"/people/v2/people/{pid}"),
                         ("POST", f"/people/v2/people/{pid}/emails")):
        r = pco.request(method, pco.base + path, data=raw,
                        headers={"Content-Type": "application/json"})
        pco_error(r, 400)
    assert pco.get(pco.base + "/people/v2/people").json()["meta"]["total_count"] == 1


@pytest.mark.parametrize("body", [
    None, [], 5, "data", [{"data": {}}],
    {"data": "Person"}, {"data": []}, {"data": 5},
    {"data": {"attributes": ["first_name", "A"]}},
    {"data": {"attributes": "first_name=A"}},
    {"data": {"attributes": {"first_name": "A"}, "relationships": []}},
])
def test_wrong_json_shapes_are_400_invalid_resource_payload(pco, body):
    r = pco.post(pco.base + "/people/v2/people", json=body)
    err = pco_error(r, 400)
    assert err["code"] == "invalid_resource_payload"
    still_serving(pco)


@pytest.mark.parametrize("attrs, parameter", [
    ({"first_name": {"a": 1}}, "first_name"),
    ({"first_name": ["A"]}, "first_name"),
    ({"first_name": True}, "first_name"),
    ({"first_name": "A", "child": "yes please"}, "child"),
    ({"first_name": "A", "grade": "third"}, "grade"),
    ({"first_name": "A", "birthdate": ["1990-01-01"]}, "birthdate"),
    ({"first_name": "A", "primary_campus_id": "x"}, "primary_campus_id"),
    ({"first_name": "A", "status": None, "gender": ["M"]}, "gender"),
])
def test_wrong_attribute_types_are_422(pco, attrs, parameter):
    r = pco.post(pco.base + "/people/v2/people", json={"data": {"attributes": attrs}})
    err = pco_error(r, 422)
    assert err["source"]["parameter"] == parameter
    still_serving(pco)


def test_numbers_for_text_attributes_are_cast_to_strings(pco):
    """Rails casts a number assigned to a string column; it must never become a 500."""
    p = person(pco, last_name=1234)
    assert p["attributes"]["last_name"] == "1234"
    person(pco, first_name="Zed", last_name="Alpha")
    r = pco.get(pco.base + "/people/v2/people", params={"order": "last_name"})
    assert r.status_code == 200
    assert [x["attributes"]["last_name"] for x in r.json()["data"]] == ["1234", "Alpha"]


def test_wrong_relationship_shapes_are_422_not_500(pco):
    a = person(pco)["id"]
    for rels in ({"people": {"data": "x"}, "primary_contact": {"data": {"id": a}}},
                 {"people": {"data": [a]}, "primary_contact": {"data": {"id": a}}},
                 {"people": {"data": [{"id": a}]}, "primary_contact": {"data": [a]}}):
        r = pco.post(pco.base + "/people/v2/households",
                     json={"data": {"type": "Household", "relationships": rels}})
        pco_error(r, 422)
    assert pco.get(pco.base + "/people/v2/households").json()["data"] == []


# ---- routes and methods --------------------------------------------------------------------
@pytest.mark.parametrize("path", [
    "/", "/people", "/people/v2/nope", "/people/v3/people", "/people/v2/people/1/nope",
    "/giving/v2/donations", "/people/v2/people/1/emails/2/x", "/people/v2/people%00",
])
def test_unknown_routes_are_404(pco, path):
    err = pco_error(pco.get(pco.base + path), 404)
    assert err["title"] == "Not Found"


@pytest.mark.parametrize("method", ["PUT", "OPTIONS"])
def test_unsupported_methods_are_405(pco, method):
    pid = person(pco)["id"]
    for path in ("/people/v2/people", f"/people/v2/people/{pid}"):
        r = pco.request(method, pco.base + path,
                        json={"data": {"attributes": {"first_name": "B"}}})
        pco_error(r, 405)
    assert pco.get(pco.base + f"/people/v2/people/{pid}").json()["data"]["attributes"][
        "first_name"] == "A"


def test_writes_to_read_only_lists_are_refused(pco):
    for path in ("/people/v2/emails", "/people/v2/person_mergers",
                 "/webhooks/v2/available_events"):
        r = pco.post(pco.base + path, json={"data": {"attributes": {"address": "a@b.co"}}})
        assert r.status_code in (403, 404, 405), (path, r.status_code)
        assert r.json()["errors"][0]["status"] == str(r.status_code)


# ---- odd strings round-trip ----------------------------------------------------------------
ODD = [
    "Zoë Ångström-Łukasiewicz", "李小龙", "O'Brien", "Robert'); DROP TABLE people;--",
    "\" OR 1=1 --", "<script>alert(1)</script>", "a\\b", "🙂 emoji", "tab\there",
    "%20percent%", "{\"json\": true}", "x" * 255,
]


@pytest.mark.parametrize("value", ODD)
def test_odd_strings_round_trip_unchanged(pco, value):
    p = person(pco, first_name=value, last_name="Q")
    assert p["attributes"]["first_name"] == value
    got = pco.get(pco.base + f"/people/v2/people/{p['id']}").json()["data"]["attributes"]
    assert got["first_name"] == value
    found = pco.get(pco.base + "/people/v2/people", params={"where[first_name]": value}).json()
    assert [x["id"] for x in found["data"]] == [p["id"]]
    # the self link carries the query and can be followed
    again = pco.get(found["links"]["self"]).json()
    assert [x["id"] for x in again["data"]] == [p["id"]]
    r = pco.patch(pco.base + f"/people/v2/people/{p['id']}",
                  json={"data": {"attributes": {"nickname": value[::-1]}}})
    assert r.status_code == 200 and r.json()["data"]["attributes"]["nickname"] == value[::-1]


def test_odd_email_and_address_round_trip(pco):
    pid = person(pco)["id"]
    r = pco.post(pco.base + f"/people/v2/people/{pid}/addresses", json={"data": {"attributes": {
        "street_line_1": "1 Rue de l'Église", "street_line_2": "Apt 3; DROP TABLE x",
        "city": "Montréal"}}})
    assert r.status_code == 201
    a = r.json()["data"]["attributes"]
    assert (a["street_line_1"], a["street_line_2"], a["city"]) == \
        ("1 Rue de l'Église", "Apt 3; DROP TABLE x", "Montréal")
    r = pco.post(pco.base + f"/people/v2/people/{pid}/emails",
                 json={"data": {"attributes": {"address": "o'brien+tag@example.co.uk"}}})
    assert r.status_code == 201
    assert r.json()["data"]["attributes"]["address"] == "o'brien+tag@example.co.uk"


@pytest.mark.parametrize("attr", ["first_name", "last_name", "nickname", "medical_notes"])
def test_huge_strings_are_422(pco, attr):
    body = {"first_name": "A", attr: "x" * 256}
    err = pco_error(pco.post(pco.base + "/people/v2/people",
                             json={"data": {"attributes": body}}), 422)
    assert err["title"] == "Validation Error" and err["source"]["parameter"] == attr
    pid = person(pco)["id"]
    err = pco_error(pco.patch(pco.base + f"/people/v2/people/{pid}",
                              json={"data": {"attributes": {attr: "y" * 10_000}}}), 422)
    assert err["source"]["parameter"] == attr


def test_a_big_body_is_handled(pco):
    body = {"data": {"attributes": {"first_name": "A", "medical_notes": "n" * 2_000_000}}}
    pco_error(pco.post(pco.base + "/people/v2/people", json=body), 422)
    still_serving(pco)


def test_after_all_that_the_simulator_still_serves(pco):
    bad = [("GET", "/people/v2/people?per_page=abc", None), ("POST", "/people/v2/people", b"{"),
           ("PUT", "/people/v2/people", b"{}"), ("GET", "/nope", None),
           ("POST", "/people/v2/people", b'{"data": "x"}')]
    for method, path, raw in bad * 3:
        r = pco.request(method, pco.base + path, data=raw)
        assert 400 <= r.status_code < 500
    p = person(pco, first_name="Still", last_name="Here")
    r = pco.get(pco.base + "/people/v2/people")
    assert r.status_code == 200
    assert [x["id"] for x in r.json()["data"]] == [p["id"]]
    assert r.headers["X-PCO-API-Request-Rate-Limit"]
