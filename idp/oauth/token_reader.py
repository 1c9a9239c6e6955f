"""What a token presented to `/revoke` or `/introspect` is: one of our JWT access tokens, or
else an opaque refresh token (RFC 7009 §2.1 and RFC 7662 §2.1 let the server find out; the
`token_type_hint` is only a hint). Telling them apart needs no store access: our refresh tokens
are random base64url strings, which never contain a dot.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from authlib.oauth2.rfc6749 import InvalidRequestError, OAuth2Error
from joserfc.errors import JoseError

from idp.keys import KeyRing
from idp.oauth.access_tokens import OwnAccessTokens
from idp.store.records import ClientRecord

if TYPE_CHECKING:
    from idp.oauth.server import SageAuthorizationServer

ACCESS_TOKEN_TYPES = ("at+jwt", "application/at+jwt")


def looks_like_jwt(token: str) -> bool:
    return token.count(".") == 2


class AccessTokenReader(OwnAccessTokens):
    """RFC 9068 §4 checks (signature by any published key, `typ`, `iss`, `exp`), for any
    audience: introspection answers for every resource server."""

    def __init__(self, issuer: str, keys: KeyRing) -> None:
        super().__init__(issuer, None, keys)

    def read(self, token: str) -> dict[str, Any] | None:
        """The claims of a valid, unexpired access token we issued; None for anything else
        (an ID token is signed by the same keys, but its `typ` is not `at+jwt`)."""
        try:
            claims = self.authenticate_token(token)
            if str(claims.header.get("typ", "")).lower() not in ACCESS_TOKEN_TYPES:
                return None
            return dict(self.valid_claims(token, []))
        except (OAuth2Error, JoseError):
            return None


class PresentedTokenEndpoint:
    """What `/revoke` and `/introspect` share, put before Authlib's endpoint class: their
    `AccessTokenReader`, and the parameters they require."""

    server: SageAuthorizationServer

    def __init__(self, server: SageAuthorizationServer) -> None:
        super().__init__(server)  # type: ignore[call-arg]  # Authlib's endpoint, next in the MRO
        self.access_tokens = AccessTokenReader(server.settings.issuer, server.keys)

    def check_params(self, request: Any, client: ClientRecord) -> None:
        """`token` is required; the hint is only a hint (both RFCs' §2.1: the server extends
        its search anyway), so an unknown one is ignored, not refused with 401 as Authlib does."""
        if "token" not in request.form:
            raise InvalidRequestError("Missing 'token'.")
