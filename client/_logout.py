"""Sign-out edges: token revocation (RFC 7009) and RP-initiated logout (OIDC RP-Initiated
Logout 1.0 §2).
"""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit, urlunsplit

import httpx

from ._exceptions import ProviderError
from ._http import post_form_status
from ._session import Revoker


def http_revoker(http: httpx.Client, revocation_endpoint: str, client_id: str) -> Revoker:
    """Return a `Revoker` posting to `revocation_endpoint` through `http`."""

    def revoke(refresh_token: str) -> None:
        form = {"token": refresh_token, "token_type_hint": "refresh_token", "client_id": client_id}
        status = post_form_status(http, revocation_endpoint, form)
        if status != 200:  # RFC 7009 §2.2: 200 also for an unknown or already revoked token.
            raise ProviderError(f"revocation answered {status}")

    return revoke


def build_end_session_url(
    end_session_endpoint: str,
    *,
    client_id: str,
    id_token_hint: str | None = None,
    post_logout_redirect_uri: str | None = None,
    state: str | None = None,
) -> str:
    """Return the URL that ends the user's session at the provider."""
    params = {
        "client_id": client_id,
        "id_token_hint": id_token_hint,
        "post_logout_redirect_uri": post_logout_redirect_uri,
        "state": state,
    }
    parts = urlsplit(end_session_endpoint)
    query = "&".join(
        q for q in (parts.query, urlencode({k: v for k, v in params.items() if v})) if q
    )
    return urlunsplit(parts._replace(query=query))
