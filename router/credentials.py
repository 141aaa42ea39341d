"""Whose credential a mirror carries, and when a difference is only the credential's.

Two apps that each issue their own tokens answer a shadowed request with the caller's legacy
token 200 on legacy and 401 on the service: that difference says nothing about the service.
Unless the plan says the sides share credentials (`shadow.credentials: shared`) or names a hook
that swaps in the service's own, such a comparison is skipped as `credentials`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from migration_plan.plan import ShadowSettings
from migration_plan.plan.hooks import resolve_hook
from router.types import Headers

REFUSED = frozenset({401, 403})
CREDENTIAL_HEADERS = frozenset({"authorization", "cookie"})

Swap = Callable[[str], "str | None"]


@dataclass(frozen=True, slots=True)
class Credentials:
    shared: bool = False  # one credential means one caller on both sides
    swap: Swap | None = None  # the caller's Authorization value -> the service's (None: unknown)

    @property
    def known(self) -> bool:
        return self.shared or self.swap is not None


UNKNOWN = Credentials()


def credentials_for(shadow: ShadowSettings) -> Credentials:
    """The plan's policy (its hook imported: the plan check has proved it imports)."""
    if shadow.credentials == "shared":
        return Credentials(shared=True)
    if shadow.credentials == "hook" and shadow.credentials_hook is not None:
        return Credentials(swap=resolve_hook(shadow.credentials_hook))
    return UNKNOWN


def swapped(credentials: Credentials, headers: Headers) -> Headers | None:
    """The mirror's headers with the service's credential; None when the hook knows none."""
    if credentials.swap is None:
        return headers
    out: Headers = []
    for name, value in headers:
        if name.lower() == "authorization":
            theirs = credentials.swap(value)
            if theirs is None:
                return None
            value = theirs
        out.append((name, value))
    return out


def only_the_credential_differs(headers: Headers, legacy_status: int, service_status: int) -> bool:
    """A request with a credential that exactly one side refused."""
    if (legacy_status in REFUSED) == (service_status in REFUSED):
        return False
    return any(name.lower() in CREDENTIAL_HEADERS for name, _ in headers)
