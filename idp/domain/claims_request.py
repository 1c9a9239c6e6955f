"""The `claims` request parameter (OIDC Core §5.5): which individual claims a client asks for,
in the ID token and at userinfo. Plain rules: no web framework, no store."""

from __future__ import annotations

import json
from collections.abc import Mapping, Set
from dataclasses import dataclass
from typing import Any

from shared.scopes import SCOPE_CLAIMS

# Members of the parameter (§5.5): where the claims are to be returned.
TARGETS = ("id_token", "userinfo")


class MalformedClaimsRequest(ValueError):
    pass


@dataclass(frozen=True)
class RequestedClaims:
    """Claim names asked for each target, among the claims we issue."""

    id_token: frozenset[str] = frozenset()
    userinfo: frozenset[str] = frozenset()

    def to_json(self) -> dict[str, list[str]]:
        return {"id_token": sorted(self.id_token), "userinfo": sorted(self.userinfo)}

    @classmethod
    def from_json(cls, value: Mapping[str, Any] | None) -> RequestedClaims | None:
        if not value:
            return None
        return cls(frozenset(value.get("id_token", ())), frozenset(value.get("userinfo", ())))

    @property
    def all(self) -> frozenset[str]:
        return self.id_token | self.userinfo


def parse_claims_request(raw: str) -> dict[str, dict[str, Any]]:
    """The parameter as JSON (§5.5): an object whose `id_token` and `userinfo` members are
    objects mapping claim names to `null` or an object (`essential`, `value`, `values`)."""
    try:
        value = json.loads(raw)
    except ValueError as error:
        raise MalformedClaimsRequest("'claims' is not valid JSON.") from error
    if not isinstance(value, dict):
        raise MalformedClaimsRequest("'claims' must be a JSON object.")
    for target in TARGETS:
        member = value.get(target)
        if member is None:
            continue
        if not isinstance(member, dict):
            raise MalformedClaimsRequest(f"'claims.{target}' must be a JSON object.")
        for name, request in member.items():
            if request is not None and not isinstance(request, dict):
                raise MalformedClaimsRequest(
                    f"'claims.{target}.{name}' must be null or a JSON object."
                )
    return value


def scope_of(claim: str) -> str | None:
    return next((scope for scope, names in SCOPE_CLAIMS.items() if claim in names), None)


def requested_claims(raw: str, allowed_scopes: Set[str]) -> RequestedClaims | None:
    """The claims asked for that we issue and the client may receive (its registered scopes
    carry them); unknown names are ignored, as §5.5 allows. Raises `MalformedClaimsRequest`."""
    value = parse_claims_request(raw)

    def names(target: str) -> frozenset[str]:
        member = value.get(target) or {}
        return frozenset(n for n in member if (scope := scope_of(n)) and scope in allowed_scopes)

    claims = RequestedClaims(names("id_token"), names("userinfo"))
    return claims if claims.all else None


def scopes_for(claims: Set[str]) -> set[str]:
    """The scopes that carry these claims (shown on the consent page)."""
    return {scope for name in claims if (scope := scope_of(name))}


def released(full: Mapping[str, Any], scopes: Set[str], extra: Set[str]) -> dict[str, Any]:
    """Of the claims computed for `scopes` plus the scopes of `extra`, those the granted
    `scopes` release, plus the `extra` claims asked for by name."""
    allowed = {"sub", *extra}
    for scope in scopes:
        allowed.update(SCOPE_CLAIMS.get(scope, ()))
    return {k: v for k, v in full.items() if k in allowed}
