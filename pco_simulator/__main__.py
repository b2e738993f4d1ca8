"""python -m pco_simulator: serve a simulated Planning Center API, generate data files, and
drive a running simulator's admin API from the shell."""
from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import urllib.error
import urllib.request

from .config import OAuthClient, Quirks, SimConfig

QUIRK_NAMES = list(Quirks().__dict__)


def _quirk(text: str) -> tuple[str, bool]:
    name, _, value = text.partition("=")
    if name not in QUIRK_NAMES or value.lower() not in ("on", "off", "true", "false"):
        raise argparse.ArgumentTypeError(
            f"expected NAME=on|off with NAME one of: {', '.join(QUIRK_NAMES)}")
    return name, value.lower() in ("on", "true")


def _fault(text: str) -> dict:
    try:
        rule = json.loads(text)
    except ValueError:
        raise argparse.ArgumentTypeError("a fault is a JSON object, e.g. "
                                         '\'{"kind": "error", "path": "/people/v2/*", '
                                         '"rate": 0.1}\'') from None
    if not isinstance(rule, dict):
        raise argparse.ArgumentTypeError("a fault is a JSON object")
    return rule


def _positive(kind):
    def parse(text: str):
        value = kind(text)
        if value <= 0:
            raise argparse.ArgumentTypeError("must be positive")
        return value
    return parse


def default_port() -> int:
    """PCO_SYNC_SIM_PORT (make airflow's simulator port), else 8765."""
    return int(os.environ.get("PCO_SYNC_SIM_PORT") or 8765)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m pco_simulator", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("serve", help="serve the simulated PCO API until stopped")
    s.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    s.add_argument("--port", type=int, default=default_port(),
                   help="port (default PCO_SYNC_SIM_PORT, else 8765; 0 picks one)")
    s.add_argument("--people", type=int, default=2000,
                   help="generate a church of N people, households, groups, events and "
                        "teams in proportion (default 2000; 0 for an empty account)")
    s.add_argument("--seed", type=int, default=1, help="data generator seed (default 1)")
    s.add_argument("--data", metavar="FILE", help="load data from a JSON file instead of "
                                                  "generating (see `generate --out`)")
    s.add_argument("--state", metavar="FILE",
                   help="keep the data in FILE across restarts: loaded at start when it "
                        "exists (then --data and --people are ignored), else created from "
                        "them; saved a few seconds after writes and on SIGTERM/Ctrl-C")
    s.add_argument("--save-delay", type=_positive(float), default=2.0, metavar="SECONDS",
                   help="with --state: save once writes paused this long, and at least every "
                        "5 times this long while writes go on (default 2)")
    s.add_argument("--app-id", default=SimConfig.app_id, help="HTTP Basic user (app id)")
    s.add_argument("--secret", default=SimConfig.secret, help="HTTP Basic password (secret)")
    s.add_argument("--rate-limit", type=_positive(int), default=100,
                   help="requests per window per credential (default 100)")
    s.add_argument("--rate-period", type=_positive(float), default=20.0,
                   help="window length in seconds before --time-scale (default 20)")
    s.add_argument("--deep-offset-limit", type=_positive(int), default=75,
                   help="requests per window with offset above 30,000 (default 75)")
    s.add_argument("--time-scale", type=_positive(float), default=1.0,
                   help="multiply every window and delay (0.05 turns 20 s into 1 s)")
    s.add_argument("--quirk", type=_quirk, action="append", default=[], metavar="NAME=on|off",
                   help="switch a real-API quirk: " + ", ".join(QUIRK_NAMES))
    s.add_argument("--fault", type=_fault, action="append", default=[], metavar="JSON",
                   help='inject faults, e.g. \'{"kind": "error", "status": 503, '
                        '"path": "/people/v2/people", "rate": 0.05}\'; kinds: error, slow, '
                        'timeout, drop, truncate')
    s.add_argument("--fault-seed", type=int, default=0, help="seed for fault dice")
    s.add_argument("--organization-id", default=SimConfig.organization_id,
                   help=f"the PCO organization's id (default {SimConfig.organization_id}); "
                        "run a second simulator with another to stand for another church")
    s.add_argument("--organization-name", default=SimConfig.organization_name,
                   help=f"the organization's name (default {SimConfig.organization_name!r})")
    o = s.add_argument_group("OAuth 2", "the OAuth applications registered with this PCO "
                                        "(default: one, pco_oauth_client_id / "
                                        "pco_oauth_client_secret)")
    o.add_argument("--oauth-client-id", action="append", default=[], metavar="ID",
                   help="an OAuth application's client id (repeat for several; pair each "
                        "with an --oauth-client-secret in the same order)")
    o.add_argument("--oauth-client-secret", action="append", default=[], metavar="SECRET",
                   help="its client secret")
    o.add_argument("--oauth-redirect-uri", action="append", default=[], metavar="URI",
                   help="a registered redirect URI, for every client (repeatable; none: any "
                        "http(s) URI on 127.0.0.1, localhost or [::1])")
    o.add_argument("--oauth-access-seconds", type=_positive(float), default=7200.0,
                   help="access token lifetime before --time-scale (default 7200)")
    o.add_argument("--oauth-refresh-seconds", type=_positive(float), default=90 * 86400.0,
                   help="refresh token lifetime before --time-scale (default 90 days)")
    o.add_argument("--oauth-user", metavar="PERSON_ID",
                   help="the person who approves when the request names no simulator_user "
                        "(default: the organization's first person)")

    g = sub.add_parser("generate", help="write a generated church to a JSON data file")
    g.add_argument("--people", type=int, required=True)
    g.add_argument("--seed", type=int, default=1)
    g.add_argument("--out", required=True, metavar="FILE")

    a = sub.add_parser("admin", help="act on a running simulator through its admin API")
    a.add_argument("--url", default=f"http://127.0.0.1:{default_port()}",
                   help="the simulator's base URL (default: port PCO_SYNC_SIM_PORT, else 8765)")
    acts = a.add_subparsers(dest="action", required=True)
    r = acts.add_parser("reset", help="wipe the data and optionally generate anew")
    r.add_argument("--people", type=int, default=0)
    r.add_argument("--seed", type=int, default=1)
    e = acts.add_parser("edit", help="change a record as staff would (fires webhooks)")
    e.add_argument("table"), e.add_argument("id")
    e.add_argument("fields", nargs="+", metavar="FIELD=VALUE",
                   help="values are JSON when they parse as JSON, else strings")
    e.add_argument("--no-bump", action="store_true", help="leave updated_at alone")
    d = acts.add_parser("delete", help="delete a record (a team lingers with deleted_at)")
    d.add_argument("table"), d.add_argument("id")
    acts.add_parser("inactivate", help="inactivate a person").add_argument("person_id")
    m = acts.add_parser("merge", help="merge two people (the second is removed)")
    m.add_argument("keep_id"), m.add_argument("remove_id")
    am = acts.add_parser("add-member", help="add a person to a group")
    am.add_argument("group_id"), am.add_argument("person_id")
    am.add_argument("--role", choices=("member", "leader"), default="member")
    rm = acts.add_parser("remove-member", help="remove a person from a group")
    rm.add_argument("group_id"), rm.add_argument("person_id")
    mv = acts.add_parser("move", help="move a person to another household")
    mv.add_argument("person_id"), mv.add_argument("household_id")
    rq = acts.add_parser("requests", help="print the request log")
    rq.add_argument("--limit", type=int, default=50)
    acts.add_parser("counters", help="requests per route and status")
    f = acts.add_parser("faults", help="show, set or clear faults")
    f.add_argument("rules", nargs="*", type=_fault, metavar="JSON",
                   help="replace the fault rules with these (none: show)")
    f.add_argument("--clear", action="store_true")
    f.add_argument("--seed", type=int)
    lim = acts.add_parser("limits", help="set rate limits, time scale and quirks")
    lim.add_argument("--rate-limit", type=_positive(int))
    lim.add_argument("--rate-period", type=_positive(float))
    lim.add_argument("--deep-offset-limit", type=_positive(int))
    lim.add_argument("--time-scale", type=_positive(float))
    lim.add_argument("--oauth-access-seconds", type=_positive(float),
                     help="access token lifetime for tokens issued from now on")
    lim.add_argument("--quirk", type=_quirk, action="append", default=[])
    sv = acts.add_parser("save", help="save the data to a JSON file (path on the server)")
    sv.add_argument("path")
    ld = acts.add_parser("load", help="load data from a JSON file (path on the server)")
    ld.add_argument("path")
    w = acts.add_parser("webhooks", help="webhook subscriptions (no secrets) and the latest "
                                         "delivery attempts")
    w.add_argument("--limit", type=int, default=20, help="attempts shown (default 20)")
    c = acts.add_parser("clock", help="move the simulator's clock forward")
    c.add_argument("--advance", type=float, required=True, metavar="SECONDS")
    oa = acts.add_parser("oauth", help="OAuth grants: list them, revoke or expire tokens")
    oacts = oa.add_subparsers(dest="oauth_action", required=True)
    oacts.add_parser("grants", help="the grants (no tokens or secrets)")
    oacts.add_parser("clients", help="the registered OAuth applications (no secrets)")
    for name, text in (("revoke", "revoke tokens (a church must reconnect)"),
                       ("expire", "end access tokens now (refresh tokens keep working)")):
        x = oacts.add_parser(name, help=text)
        who = x.add_mutually_exclusive_group(required=True)
        who.add_argument("--all", action="store_true", help="every grant (of --client)")
        who.add_argument("--user", metavar="PERSON_ID", help="the grants this person approved")
        x.add_argument("--client", metavar="CLIENT_ID", help="only this application's grants")
        if name == "revoke":
            x.add_argument("--only", choices=("access", "refresh"),
                           help="revoke only access or only refresh tokens (default both)")
    return p


def _call(url: str, method: str, path: str, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url.rstrip("/") + "/__admin" + path, data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=120) as resp:
            return json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as err:
        raise SystemExit(f"simulator answered {err.code}: {err.read().decode()[:500]}")
    except urllib.error.URLError as err:
        raise SystemExit(f"cannot reach the simulator at {url}: {err.reason}")


def _value(text: str):
    try:
        return json.loads(text)
    except ValueError:
        return text


def admin(args) -> object:
    u, act = args.url, args.action
    if act == "reset":
        return _call(u, "POST", "/reset", {"people": args.people, "seed": args.seed})
    if act == "edit":
        fields = dict(f.split("=", 1) for f in args.fields)
        bump = "?bump=false" if args.no_bump else ""
        return _call(u, "PATCH", f"/records/{args.table}/{args.id}{bump}",
                     {k: _value(v) for k, v in fields.items()})
    if act == "delete":
        return _call(u, "DELETE", f"/records/{args.table}/{args.id}")
    if act == "inactivate":
        return _call(u, "POST", f"/people/{args.person_id}/inactivate")
    if act == "merge":
        return _call(u, "POST", "/people/merge", {"keep_id": args.keep_id,
                                                  "remove_id": args.remove_id})
    if act == "add-member":
        return _call(u, "POST", f"/groups/{args.group_id}/members",
                     {"person_id": args.person_id, "role": args.role})
    if act == "remove-member":
        return _call(u, "DELETE", f"/groups/{args.group_id}/members/{args.person_id}")
    if act == "move":
        return _call(u, "POST", "/households/move", {"person_id": args.person_id,
                                                     "household_id": args.household_id})
    if act == "requests":
        return _call(u, "GET", f"/requests?limit={args.limit}")
    if act == "counters":
        return _call(u, "GET", "/counters")
    if act == "faults":
        if args.clear:
            return _call(u, "DELETE", "/faults")
        if args.rules or args.seed is not None:
            return _call(u, "PUT", "/faults", {"faults": args.rules, "seed": args.seed})
        return _call(u, "GET", "/faults")
    if act == "limits":
        body = {k: v for k, v in (("rate_limit", args.rate_limit),
                                  ("rate_period", args.rate_period),
                                  ("deep_offset_limit", args.deep_offset_limit),
                                  ("time_scale", args.time_scale),
                                  ("oauth_access_seconds", args.oauth_access_seconds))
                if v is not None}
        body["quirks"] = dict(args.quirk)
        return _call(u, "PATCH", "/config", body)
    if act in ("save", "load"):
        return _call(u, "POST", f"/{act}", {"path": args.path})
    if act == "clock":
        return _call(u, "POST", "/clock", {"advance_seconds": args.advance})
    if act == "oauth":
        sub = args.oauth_action
        if sub in ("grants", "clients"):
            return _call(u, "GET", f"/oauth/{sub}")
        body = {"all": bool(args.all), "user_id": args.user, "client_id": args.client}
        if sub == "revoke":
            body["tokens"] = args.only or "both"
        return _call(u, "POST", f"/oauth/{sub}", body)
    if act == "webhooks":
        return {**_call(u, "GET", "/webhooks/subscriptions"),
                **_call(u, "GET", f"/webhooks/deliveries?limit={max(args.limit, 1)}")}
    raise SystemExit(f"unknown action {act}")


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "admin":
        print(json.dumps(admin(args), indent=2))
        return 0
    if args.command == "generate":
        from .generator import generate
        from .store import Store
        store = Store()
        counts = generate(store, args.people, args.seed)
        store.save(args.out)
        print(json.dumps(counts))
        return 0
    from .server import Simulator
    cfg = SimConfig(app_id=args.app_id, secret=args.secret, rate_limit=args.rate_limit,
                    rate_period=args.rate_period, deep_offset_limit=args.deep_offset_limit,
                    time_scale=args.time_scale, organization_id=args.organization_id,
                    organization_name=args.organization_name,
                    oauth_access_seconds=args.oauth_access_seconds,
                    oauth_refresh_seconds=args.oauth_refresh_seconds,
                    oauth_user_id=args.oauth_user)
    if args.oauth_client_id:
        if len(args.oauth_client_id) != len(args.oauth_client_secret):
            raise SystemExit("give one --oauth-client-secret per --oauth-client-id")
        cfg.oauth_clients = [OAuthClient(cid, sec, tuple(args.oauth_redirect_uri))
                             for cid, sec in zip(args.oauth_client_id,
                                                 args.oauth_client_secret)]
    elif args.oauth_client_secret:
        raise SystemExit("--oauth-client-secret needs an --oauth-client-id")
    else:
        cfg.oauth_clients = [OAuthClient(redirect_uris=tuple(args.oauth_redirect_uri))]
    cfg.quirks.update(dict(args.quirk))
    # SIGTERM ends serving like Ctrl-C does, so the state file gets its final save.
    signal.signal(signal.SIGTERM, _interrupt)
    sim = Simulator(cfg, people=0 if args.data else args.people, seed=args.seed,
                    data_file=args.data, fault_seed=args.fault_seed, state_file=args.state,
                    save_delay=args.save_delay)
    for rule in args.fault:
        sim.sim.faults.add(rule)
    counts = {t: len(r) for t, r in sim.store.tables.items() if r}
    kept = ""
    if args.state:
        kept = (f" (loaded from {args.state})" if sim.loaded_state
                else f" (new; kept in {args.state})")
    print(f"pco_simulator on http://{args.host}:{args.port} "
          f"(app id {args.app_id}; OAuth client "
          f"{', '.join(c.client_id for c in cfg.oauth_clients)}; organization "
          f"{cfg.organization_id}); data{kept}: {json.dumps(counts)}", file=sys.stderr,
          flush=True)
    try:
        sim.serve_forever(args.host, args.port)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
