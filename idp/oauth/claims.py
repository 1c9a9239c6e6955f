"""Which user claims each scope releases (OIDC Core §5.4), for userinfo and ID tokens."""

from __future__ import annotations

from typing import Any

from idp.store.records import UserRecord
from shared.scopes import EMAIL, PROFILE


def user_claims(user: UserRecord, scopes: set[str] | frozenset[str]) -> dict[str, Any]:
    claims: dict[str, Any] = {"sub": user.id}
    if PROFILE in scopes:
        claims["name"] = user.name
        if user.locale:
            claims["locale"] = user.locale
    if EMAIL in scopes:
        claims["email"] = user.email
        claims["email_verified"] = user.email_verified
    return claims
