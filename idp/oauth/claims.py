"""Which user claims each scope releases (OIDC Core §5.4), for userinfo and ID tokens."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from idp.domain.referencing import Account, referencing_claim
from idp.store.records import UserRecord
from shared.scopes import EMAIL, PROFILE, REFERENCING


def user_claims(
    user: UserRecord,
    scopes: set[str] | frozenset[str],
    accounts: Sequence[Account] | None = None,
) -> dict[str, Any]:
    """`accounts` are the user's customer accounts, read by the caller only when the
    `referencing` scope was granted (DESIGN §4)."""
    claims: dict[str, Any] = {"sub": user.id}
    if PROFILE in scopes:
        claims["name"] = user.name
        if user.locale:
            claims["locale"] = user.locale
    if EMAIL in scopes:
        claims["email"] = user.email
        claims["email_verified"] = user.email_verified
    if REFERENCING in scopes and accounts is not None:
        claims["referencing"] = referencing_claim(accounts)
    return claims
