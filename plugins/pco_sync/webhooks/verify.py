"""Is a delivery from PCO? X-PCO-Webhooks-Authenticity is the hex HMAC-SHA256 of the exact
raw body, keyed with the authenticity secret of the subscription that sent it; each event
name has its own subscription, so its own secret.

The body is checked against every secret of the church before it is parsed (nothing a
stranger sends is read further than its signature), each comparison in constant time and
none cut short, so the answer's timing says nothing about which secret came close. The
caller then requires the body's event names to be among those whose secret signed it: a
delivery signed with another event's secret is refused like a forged one.
"""
from __future__ import annotations

import hashlib
import hmac
import re

HEADER = "X-PCO-Webhooks-Authenticity"
_HEX = re.compile(r"^[0-9a-fA-F]{64}$")


def signature(secret: str, body: bytes) -> str:
    """What PCO sends in HEADER for `body` under `secret`."""
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def signed_names(secrets: dict[str, str], body: bytes, given: str | None) -> set[str]:
    """The event names whose secret signed `body` (empty: not signed by any of them)."""
    given = (given or "").strip()
    if not _HEX.match(given):
        return set()
    given_bytes = given.lower().encode("ascii")
    found = set()
    for name, secret in secrets.items():
        if hmac.compare_digest(signature(secret, body).encode("ascii"), given_bytes):
            found.add(name)
    return found
