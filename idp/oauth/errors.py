"""Protocol errors as the endpoints raise them, for the one exception handler that renders
every `OAuth2Error` (`idp.web.oauth_response`): Authlib's own classes, and `ProtocolError` for
a code Authlib does not define or a response that needs more headers (`WWW-Authenticate` of a
resource server, RFC 6750 §3 and RFC 9449 §7.1; `DPoP-Nonce`, RFC 9449 §8)."""

from __future__ import annotations

from collections.abc import Mapping

from authlib.oauth2.rfc6749 import OAuth2Error


class ProtocolError(OAuth2Error):  # type: ignore[misc]
    """An RFC 6749 §5.2 error: any code, status and extra response headers."""

    def __init__(
        self,
        error: str,
        description: str,
        status_code: int = 400,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(status_code=status_code, error=error)
        # Set after Authlib's check of the characters: a JSON body carries any text (only a
        # redirect's query string needs RFC 6749's error character set, and these never go
        # into one).
        self.description = description
        self.headers = dict(headers or {})

    def get_headers(self) -> list[tuple[str, str]]:
        headers: list[tuple[str, str]] = super().get_headers()
        return [*headers, *self.headers.items()]


def invalid_request(description: str) -> ProtocolError:
    return ProtocolError("invalid_request", description)
