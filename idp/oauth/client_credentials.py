"""`grant_type=client_credentials` (RFC 6749 §4.4): a service acting on its own behalf.

Confidential clients only (§4.4: "MUST only be used by confidential clients"): the grant takes
no `none` authentication, and `ClientRecord.check_grant_type` refuses it to public clients.
Scopes are limited to those the client is registered for; asking for more is `invalid_scope`
rather than a silently smaller token, so a misconfigured service fails loudly. No scope asks
for all of them (§3.3 lets the server pick a documented default). Nothing is written: the
access token is a self-contained JWT and `SageAuthorizationServer.save_token` skips it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from authlib.oauth2.rfc6749 import InvalidScopeError, grants, scope_to_list

from idp.domain.client_authentication import CONFIDENTIAL_CLIENTS
from idp.store.records import ClientRecord

if TYPE_CHECKING:
    from idp.oauth.server import SageAuthorizationServer


class ClientCredentialsGrant(grants.ClientCredentialsGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS: ClassVar[list[str]] = CONFIDENTIAL_CLIENTS
    server: SageAuthorizationServer

    def validate_requested_scope(self) -> None:
        super().validate_requested_scope()
        client: ClientRecord = self.request.client
        requested = set(scope_to_list(self.request.payload.scope) or [])
        if not requested <= client.scopes:
            extra = " ".join(sorted(requested - client.scopes))
            raise InvalidScopeError(f"The client is not registered for: {extra}.")

    def generate_token(self, **options: Any) -> dict[str, Any]:
        """Authlib's (which passes keywords only): all the client's scopes when it asked for
        none, and never a refresh token (RFC 6749 §4.4.3)."""
        client: ClientRecord = self.request.client
        options["scope"] = options.get("scope") or client.scope
        options["include_refresh_token"] = False
        token: dict[str, Any] = super().generate_token(**options)
        return token
