"""The admin API (not part of PCO): seed and reset data, act as church staff in PCO's UI,
read the request log, set faults, limits, quirks and the clock."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import Body, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse

from .app import ADMIN_PREFIX, Simulation
from .config import OAuthClient
from .schema import RESOURCES
from .store import NotFound

TUNABLE = ("rate_limit", "rate_period", "time_scale", "deep_offset_limit",
           "deep_offset_threshold", "webhook_retry_base", "webhook_max_attempts",
           "oauth_access_seconds", "oauth_refresh_seconds", "oauth_code_seconds")


def build_admin(sim: Simulation) -> FastAPI:
    app = FastAPI(title="pco_simulator admin", docs_url=f"{ADMIN_PREFIX}/docs",
                  openapi_url=f"{ADMIN_PREFIX}/openapi.json")
    store = sim.store

    @app.exception_handler(NotFound)
    async def _nf(request: Request, exc: NotFound):
        return JSONResponse({"error": f"not found: {exc.args[0]}"}, status_code=404)

    @app.exception_handler(ValueError)
    async def _bad(request: Request, exc: ValueError):
        return JSONResponse({"error": str(exc)}, status_code=400)

    def table(name: str):
        if name not in RESOURCES or name in ("organization", "available_events"):
            raise HTTPException(404, f"no such table: {name}")
        return name

    @app.get(f"{ADMIN_PREFIX}/health")
    def health():
        return {"ok": True, "counts": {t: len(r) for t, r in store.tables.items()}}

    @app.post(f"{ADMIN_PREFIX}/reset")
    def reset(body: dict = Body(default={})):
        from .generator import generate
        people, seed = int(body.get("people", 0)), int(body.get("seed", 1))
        with store.lock:
            store.reset()
            counts = generate(store, people, seed) if people else {}
        sim.limiter.reset()
        sim.requests.clear()
        sim.counters.clear()
        sim.oauth.reset()
        return {"counts": counts}

    @app.post(f"{ADMIN_PREFIX}/save")
    def save(body: dict = Body(...)):
        store.save(body["path"])
        return {"saved": body["path"]}

    @app.post(f"{ADMIN_PREFIX}/load")
    def load(body: dict = Body(...)):
        store.load(body["path"])
        return {"counts": {t: len(r) for t, r in store.tables.items()}}

    # ---- staff actions, as in PCO's UI (webhooks fire, API rules do not apply) -------------
    @app.get(f"{ADMIN_PREFIX}/records/{{name}}/{{rid}}")
    def get_record(name: str, rid: str):
        return store.get(table(name), rid)

    @app.post(f"{ADMIN_PREFIX}/records/{{name}}")
    def create_record(name: str, body: dict = Body(...)):
        return store.insert(table(name), body)

    @app.patch(f"{ADMIN_PREFIX}/records/{{name}}/{{rid}}")
    def edit_record(name: str, rid: str, body: dict = Body(...), bump: bool = True):
        """`bump=false` edits without touching updated_at (PCO misses some calendar edits)."""
        with store.lock:
            rec = store.update(table(name), rid, body, bump=bump)
            if name in ("emails", "phone_numbers", "addresses"):
                store.touch_person(rec["person_id"])
            return rec

    @app.delete(f"{ADMIN_PREFIX}/records/{{name}}/{{rid}}")
    def delete_record(name: str, rid: str):
        name = table(name)
        with store.lock:
            if name == "people":
                return store.delete_person(rid)
            if name == "teams":
                return store.delete_team(rid)
            if name == "households":
                return store.delete_household(rid)
            return store.delete(name, rid)

    @app.post(f"{ADMIN_PREFIX}/people/{{pid}}/inactivate")
    def inactivate(pid: str):
        return store.inactivate_person(pid)

    @app.post(f"{ADMIN_PREFIX}/people/merge")
    def merge(body: dict = Body(...)):
        return store.merge_people(body["keep_id"], body["remove_id"])

    @app.post(f"{ADMIN_PREFIX}/households/move")
    def move(body: dict = Body(...)):
        store.move_person_to_household(body["person_id"], body["household_id"])
        return {"moved": body["person_id"], "to": body["household_id"]}

    @app.post(f"{ADMIN_PREFIX}/groups/{{gid}}/members")
    def add_member(gid: str, body: dict = Body(...)):
        return store.add_group_member(gid, body["person_id"], body.get("role", "member"),
                                      body.get("joined_at"))

    @app.delete(f"{ADMIN_PREFIX}/groups/{{gid}}/members/{{pid}}")
    def remove_member(gid: str, pid: str):
        store.remove_group_member(gid, pid)
        return {"removed": pid, "group": gid}

    # ---- observing and steering -----------------------------------------------------------
    @app.get(f"{ADMIN_PREFIX}/requests")
    def requests_log(limit: int = 1000):
        return {"requests": list(sim.requests)[-limit:]}

    @app.delete(f"{ADMIN_PREFIX}/requests")
    def clear_log():
        sim.requests.clear()
        sim.counters.clear()
        return {"cleared": True}

    @app.get(f"{ADMIN_PREFIX}/counters")
    def counters():
        return {"counters": [{"method": m, "route": r, "status": s, "count": n}
                             for (m, r, s), n in sorted(sim.counters.items(), key=str)]}

    @app.get(f"{ADMIN_PREFIX}/faults")
    def get_faults():
        return {"faults": sim.faults.describe()}

    @app.put(f"{ADMIN_PREFIX}/faults")
    def set_faults(body: dict = Body(...)):
        sim.faults.set(body.get("faults", []), body.get("seed"))
        return {"faults": sim.faults.describe()}

    @app.post(f"{ADMIN_PREFIX}/faults")
    def add_fault(body: dict = Body(...)):
        sim.faults.add(body)
        return {"faults": sim.faults.describe()}

    @app.delete(f"{ADMIN_PREFIX}/faults")
    def clear_faults():
        sim.faults.clear()
        return {"faults": []}

    @app.get(f"{ADMIN_PREFIX}/config")
    def get_config():
        return sim.config.to_dict()

    @app.patch(f"{ADMIN_PREFIX}/config")
    def set_config(body: dict[str, Any] = Body(...)):
        unknown = set(body) - set(TUNABLE) - {"quirks"}
        if unknown:
            raise ValueError(f"not tunable: {', '.join(sorted(unknown))}")
        for k in TUNABLE:
            if k in body:
                kind = type(getattr(sim.config, k))
                value = kind(body[k])
                if value <= 0:
                    raise ValueError(f"{k} must be positive")
                setattr(sim.config, k, value)
        sim.config.quirks.update(body.get("quirks", {}))
        sim.limiter.reset()
        return sim.config.to_dict()

    @app.post(f"{ADMIN_PREFIX}/clock")
    def clock(body: dict = Body(...)):
        store.clock_offset += timedelta(seconds=float(body.get("advance_seconds", 0)))
        return {"now": store.now_iso()}

    @app.get(f"{ADMIN_PREFIX}/webhooks/deliveries")
    def deliveries(limit: int | None = None):
        log = list(sim.webhooks.log) if sim.webhooks else []
        return {"deliveries": log[-limit:] if limit else log,
                "pending": sim.webhooks.pending() if sim.webhooks else 0}

    @app.get(f"{ADMIN_PREFIX}/webhooks/subscriptions")
    def webhook_subscriptions():
        """Who is posted what, without the secrets (PCO's own API shows those)."""
        return {"subscriptions": [
            {k: s.get(k) for k in ("id", "name", "url", "active")}
            for s in sorted(store.tables["webhook_subscriptions"].values(),
                            key=lambda s: int(s["id"]))]}

    # ---- OAuth: grants, revocation, expiry, applications ----------------------------------
    def _who(body: dict) -> tuple[str | None, str | None]:
        client, user = body.get("client_id"), body.get("user_id")
        if not body.get("all") and client is None and user is None:
            raise ValueError("name the tokens: all=true, user_id and/or client_id")
        return (str(client) if client is not None else None,
                str(user) if user is not None else None)

    @app.get(f"{ADMIN_PREFIX}/oauth/grants")
    def oauth_grants():
        return {"grants": sim.oauth.describe()}

    @app.post(f"{ADMIN_PREFIX}/oauth/revoke")
    def oauth_revoke(body: dict = Body(...)):
        """Revoke the tokens of every grant (`all`), a person's (`user_id`) and/or an
        application's (`client_id`); `tokens`: both (default), access or refresh."""
        client, user = _who(body)
        return sim.oauth.revoke(client, user, str(body.get("tokens") or "both"))

    @app.post(f"{ADMIN_PREFIX}/oauth/expire")
    def oauth_expire(body: dict = Body(...)):
        """End access tokens now, as two hours passing would; refresh tokens keep working."""
        client, user = _who(body)
        return sim.oauth.expire(client, user)

    @app.get(f"{ADMIN_PREFIX}/oauth/clients")
    def oauth_clients():
        return {"clients": sim.config.to_dict()["oauth_clients"]}

    @app.post(f"{ADMIN_PREFIX}/oauth/clients")
    def oauth_add_client(body: dict = Body(...)):
        """Register an application (or replace the one with this client id)."""
        if not body.get("client_id") or not body.get("client_secret"):
            raise ValueError("client_id and client_secret are required")
        client = OAuthClient(str(body["client_id"]), str(body["client_secret"]),
                             tuple(body.get("redirect_uris") or ()),
                             str(body.get("name") or "pco-sync"))
        sim.config.oauth_clients = [c for c in sim.config.oauth_clients
                                    if c.client_id != client.client_id] + [client]
        return {"clients": sim.config.to_dict()["oauth_clients"]}

    return app
