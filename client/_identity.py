"""Who is signed in: the identity claims (OIDC Core §5.1), the Sage `referencing` claim
(DESIGN.md §4), and the userinfo request that returns their current values.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from ._exceptions import ProviderError, ProviderUnreachable


@dataclass(frozen=True)
class ReferencedAccount:
    """One customer account the user is referenced to, with the profile they hold there."""

    customer_code: str
    customer_name: str
    profile: str
    is_admin: bool
    method: str
    referenced_at: float | None


@dataclass(frozen=True)
class Referencing:
    """The `referencing` claim: `status` (`referenced` or `pending`) and the accounts."""

    status: str
    accounts: tuple[ReferencedAccount, ...]


def _text(data: Mapping[str, Any], name: str) -> str:
    value = data.get(name)
    return value if isinstance(value, str) else ""


def _account(data: object) -> ReferencedAccount | None:
    if not isinstance(data, Mapping) or not _text(data, "customer_code"):
        return None
    referenced_at = data.get("referenced_at")
    return ReferencedAccount(
        customer_code=_text(data, "customer_code"),
        customer_name=_text(data, "customer_name"),
        profile=_text(data, "profile"),
        is_admin=data.get("is_admin") is True,
        method=_text(data, "method"),
        referenced_at=(
            float(referenced_at)
            if isinstance(referenced_at, int | float) and not isinstance(referenced_at, bool)
            else None
        ),
    )


def parse_referencing(value: object) -> Referencing | None:
    """Parse a `referencing` claim; `None` if absent or not an object.

    Accounts without a `customer_code` are skipped rather than failing the whole claim:
    this is display data, never an authorization decision (resource servers decide).
    """
    if not isinstance(value, Mapping):
        return None
    items = value.get("accounts")
    accounts = [_account(item) for item in items] if isinstance(items, list) else []
    return Referencing(
        status=_text(value, "status") or "unknown",
        accounts=tuple(account for account in accounts if account is not None),
    )


@dataclass(frozen=True)
class Identity:
    """The signed-in user as the claims describe them."""

    subject: str
    name: str | None
    email: str | None
    email_verified: bool | None
    referencing: Referencing | None

    @classmethod
    def from_claims(cls, claims: Mapping[str, Any]) -> Identity:
        """Build from ID-token and/or userinfo claims (userinfo merged last wins)."""
        name, email, verified = (
            claims.get("name"),
            claims.get("email"),
            claims.get("email_verified"),
        )
        return cls(
            subject=str(claims.get("sub", "")),
            name=name if isinstance(name, str) else None,
            email=email if isinstance(email, str) else None,
            email_verified=verified if isinstance(verified, bool) else None,
            referencing=parse_referencing(claims.get("referencing")),
        )

    def display_name(self) -> str:
        """`Name <email>`, or whichever of them exists, or the subject."""
        if self.name and self.email:
            return f"{self.name} <{self.email}>"
        return self.name or self.email or self.subject


def fetch_userinfo(
    http: httpx.Client,
    userinfo_endpoint: str,
    *,
    auth: httpx.Auth,
    expected_subject: str | None,
) -> dict[str, Any]:
    """GET the userinfo claims (OIDC Core §5.3) with `auth` (typically `BearerAuth`).

    OIDC Core §5.3.2: the `sub` returned must be the ID token's, or the answer is
    refused (`ProviderError`). `expected_subject=None` is for a bare access token (no ID
    token to compare with, e.g. `SAGEID_TOKEN`): any `sub` string is taken.
    """
    try:
        response = http.get(userinfo_endpoint, auth=auth)
    except httpx.TransportError as error:
        raise ProviderUnreachable(
            f"cannot reach {userinfo_endpoint}: {error!r}", request_sent=True
        ) from error
    if not response.is_success:
        raise ProviderError(f"userinfo answered {response.status_code}")
    try:
        claims = json.loads(response.content)
    except ValueError as error:
        raise ProviderError("userinfo answered a non-JSON body") from error
    if not isinstance(claims, dict) or not isinstance(claims.get("sub"), str):
        raise ProviderError("userinfo answered no subject")
    if expected_subject is not None and claims["sub"] != expected_subject:
        raise ProviderError("userinfo describes another account than the ID token")
    return claims
