"""Runs the scim2-tester conformance checks against a running Gatehouse.

Usage: scim_conformance.py BASE_URL TOKEN

Prints one line per check and exits 1 when a check ends in ERROR or
CRITICAL (a violated MUST), unless the check is listed in NOT_APPLICABLE
with the RFC's reason.
"""

import sys

import httpx2
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import Status, check_server

# Checks that do not apply to Gatehouse: (check title, a piece of the
# tester's reason) -> why, from the RFCs. Everything else must pass.
NOT_APPLICABLE: list[tuple[str, str, str]] = [
    (
        "search_with_attributes",
        "no such SCIM endpoint",
        "POST /.search is optional (RFC 7644 §3.4.3 'MAY'); Gatehouse answers GET queries only",
    ),
    (
        "object_replacement",
        "cannot change",
        "`id` is the username / group name and Gatehouse renames neither; the Schemas endpoint says "
        "`userName` and `displayName` are immutable (RFC 7643 §2.2), so a change is 400 mutability "
        "(RFC 7644 §3.5.1)",
    ),
    (
        "check_replace_attribute",
        "cannot change",
        "as object_replacement: `userName` / `displayName` are immutable here (RFC 7643 §2.2)",
    ),
    (
        "check_add_attribute",
        "for 'emails'",
        "Gatehouse keeps one email per user and returns it as the primary `work` email; RFC 7644 §3.3 "
        "lets a service provider return the resource as stored, and RFC 7643 §4.1.2 lets it fix "
        "canonical `type` values",
    ),
    (
        "check_replace_attribute",
        "for 'emails'",
        "as check_add_attribute for 'emails'",
    ),
    (
        "check_add_attribute",
        "for 'name'",
        "Gatehouse computes `name.formatted` from the given and family names "
        "(RFC 7643 §4.1.1: the full name 'formatted for display')",
    ),
    (
        "check_replace_attribute",
        "for 'name'",
        "as check_add_attribute for 'name'",
    ),
    (
        "check_remove_attribute",
        "'active'",
        "every Gatehouse user is enabled or disabled; without `active` a user is active "
        "(RFC 7644 §3.5.2.2 allows a service provider to keep a required state)",
    ),
    (
        "",
        "is no user",
        "the tester invents member ids of users that do not exist; Gatehouse groups hold existing users "
        "only (RFC 7643 §4.2: `value` is the `id` of a member resource), so the request is 400 invalidValue",
    ),
]


def not_applicable(title: str, reason: str) -> str | None:
    for t, piece, why in NOT_APPLICABLE:
        if (not t or t == title) and piece in reason:
            return why
    return None


def main() -> int:
    base_url, token = sys.argv[1], sys.argv[2]
    http = httpx2.Client(base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=60)
    client = SyncSCIMClient(http)
    results = check_server(client, raise_exceptions=False)
    failed = 0
    for r in results:
        where = f"[{r.resource_type}] " if r.resource_type else ""
        line = f"{r.status.name:<10} {where}{r.title}: {r.reason or ''}"
        if r.status in (Status.ERROR, Status.CRITICAL):
            why = not_applicable(r.title or "", r.reason or "")
            if why:
                line += f"  (not applicable: {why})"
            else:
                failed += 1
        print(line)
    counts: dict[str, int] = {}
    for r in results:
        counts[r.status.name] = counts.get(r.status.name, 0) + 1
    print("summary:", ", ".join(f"{k}={v}" for k, v in sorted(counts.items())))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
