"""RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0) at the `end_session_endpoint`.

Authlib's `EndSessionEndpoint` validates the request; here it is given our keys and clients:
- `id_token_hint` must be an ID token we issued (signature by a published key, our `iss`, not
  an access token signed by the same key); an expired one is accepted (§2);
- `post_logout_redirect_uri` must exactly match one the client registered (§3); without an
  `id_token_hint`, naming the client with `client_id` is the other means of legitimacy §3
  asks for, since only that client's registered URIs can match;
- the client may ask that its grants for the user be revoked too, with `revoke_grants=true`
  (our extension; the spec has none): a desktop app's *Se déconnecter* then ends its 30-day
  sign-in along with the browser session. Only the signed-in browser's user is concerned (and
  the `id_token_hint`, if any, must name that user): an ID token alone — they are accepted
  expired, and travel through logs and back ends — must not end anyone's sign-in.
The browser session itself is ended by the HTTP handler, which owns the cookie.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from authlib.oauth2.rfc6749 import InvalidRequestError
from authlib.oidc.rpinitiated import EndSessionEndpoint, EndSessionRequest
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from joserfc.jws import extract_compact

from idp.oauth.bridge import Bridge
from idp.oauth.token_reader import ACCESS_TOKEN_TYPES
from idp.store.records import ClientRecord

if TYPE_CHECKING:
    from idp.oauth.server import SageAuthorizationServer

REVOKE_GRANTS = "revoke_grants"


def needs_confirmation(request: EndSessionRequest, signed_in_user_id: str | None) -> bool:
    """Ask before signing the browser out unless a valid `id_token_hint` names the signed-in
    user: a bare logout link could be planted by anyone (§6, denial of service). A third-party
    client's request is always confirmed; first-party clients may skip it."""
    if signed_in_user_id is None:
        return False  # no browser session to end
    client: ClientRecord | None = request.client
    if client is not None and not client.first_party:
        return True  # a third party's logout link: the user confirms before leaving (issue 15)
    claims = request.id_token_claims
    return claims is None or claims.get("sub") != signed_in_user_id


class LogoutEndpoint(EndSessionEndpoint):  # type: ignore[misc]
    server: SageAuthorizationServer

    def __init__(self, server: SageAuthorizationServer) -> None:
        super().__init__(server)

    def get_server_jwks(self) -> KeySet:
        return self.server.keys.current.key_set

    def get_algorithms(self) -> list[str]:
        return ["RS256", "ES256"]

    def _validate_id_token_hint(self, id_token_hint: str) -> dict[str, Any]:
        claims: dict[str, Any] = super()._validate_id_token_hint(id_token_hint)
        try:
            header = extract_compact(id_token_hint.encode()).protected
        except JoseError as error:
            raise InvalidRequestError("'id_token_hint' is not a JWT.") from error
        if str(header.get("typ", "")).lower() in ACCESS_TOKEN_TYPES:
            raise InvalidRequestError("'id_token_hint' is an access token, not an ID token.")
        if claims.get("iss") != self.server.settings.issuer or not claims.get("sub"):
            raise InvalidRequestError("'id_token_hint' was not issued by this provider.")
        return claims

    def _is_valid_post_logout_redirect_uri(self, client: ClientRecord, uri: str) -> bool:
        # Authlib reads `client.client_metadata`; our clients carry the list itself.
        return uri in client.post_logout_redirect_uris

    def is_post_logout_redirect_uri_legitimate(
        self, request: Any, post_logout_redirect_uri: str, client: Any, logout_hint: Any
    ) -> bool:
        return True  # registered by the client named in `client_id`: see the module docstring

    def end_session(self, end_session_request: EndSessionRequest) -> None:
        request = end_session_request.request
        client: ClientRecord | None = end_session_request.client
        if client is None or request.payload.data.get(REVOKE_GRANTS) != "true":
            return
        claims = end_session_request.id_token_claims
        user_id = getattr(request.user, "id", None)
        if user_id and (claims is None or claims.get("sub") == user_id):
            Bridge.await_store(
                self.server.store.grants.revoke_for_user,
                user_id,
                self.server.clock.now(),
                client_id=client.client_id,
            )
