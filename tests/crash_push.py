"""A sync run's pushes (people, families, memberships) in a process of their own that is
SIGKILLed the moment PCO has answered the nth write of one kind, before the push saves the
outcome: a worker dying at that very line. tests/push/test_push_crash_kill.py starts it as
`python tests/crash_push.py '<json>'` with url, auth, db_url, run_id, at ([entity,
operation]) and nth. Exit 3: the push ended without reaching that write."""
from __future__ import annotations

import json
import os
import signal
import sys


def main(args: dict) -> int:
    from pco_sync import church_db
    from pco_sync.pco.client import PcoClient
    from pco_sync.push.entities import push

    client = PcoClient(args["url"], *args["auth"], backoff_base=0.01)
    at, seen = tuple(args["at"]), []

    def die_after_answer(op, result):
        if (op.entity, op.operation) == at and result.ok:
            seen.append(op.key)
            if len(seen) == args["nth"]:
                os.kill(os.getpid(), signal.SIGKILL)

    with church_db.connect(args["db_url"]) as conn:
        for name in ("people", "families", "memberships"):
            push(conn, client, name, args["run_id"], after_send=die_after_answer,
                 accept_mass_push=True)
    return 3


if __name__ == "__main__":
    sys.exit(main(json.loads(sys.argv[1])))
