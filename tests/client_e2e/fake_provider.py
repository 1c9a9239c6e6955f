"""A scripted provider behind `httpx.MockTransport`, for the CLI tests that need no server.

Discovery, JWKS, device authorization, token (device code, authorization code, refresh
with rotation), userinfo and revocation, with switches for the failures the CLI maps to
exit codes.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlencode

import httpx

from client._config import DEFAULT_CLIENT_ID
from shared.scopes import DEVICE_CODE_GRANT
from tests.client.helpers import ISSUER, FrozenClock, SigningKeys

USER_CODE = "WDJB-MJHT"
REFERENCING: dict[str, Any] = {
    "status": "referenced",
    "accounts": [
        {
            "customer_code": "BOUL-0001",
            "customer_name": "Boulangerie Martin",
            "profile": "Administrateur",
            "is_admin": True,
            "method": "notification_email",
            "referenced_at": 1_700_000_000,
        }
    ],
}


def _json(status: int, body: dict[str, Any]) -> httpx.Response:
    return httpx.Response(status, json=body, headers={"Cache-Control": "no-store"})


class FakeProvider:
    """Answers like Sage ID at `ISSUER` for the client `sage-desktop` (the CLI's default)."""

    def __init__(self, clock: FrozenClock, keys: SigningKeys) -> None:
        self.clock = clock
        self.keys = keys
        self.issuer = ISSUER
        self.client_id = DEFAULT_CLIENT_ID
        self.subject = "user-1"
        self.name = "Marie Martin"
        self.email = "marie.martin@example.com"
        # Device flow: the answers to successive polls; past the end, tokens.
        self.device_answers: list[str] = ["authorization_pending"]
        self.device_error: str | None = None  # error of /device_authorization itself
        self.refresh_error: str | None = None
        self.discovery_status = 200
        self.discovery_issuer = ISSUER
        self.unreachable = False
        self.userinfo_claims: dict[str, Any] = {"referencing": REFERENCING}
        self.issued = 0
        self.live_refresh_tokens: set[str] = set()
        self.revoked: list[str] = []
        self.polls = 0
        self.codes: dict[str, str | None] = {}  # code -> nonce
        self.requests: list[httpx.Request] = []
        self.refresh_forms: list[dict[str, str]] = []

    def http_client(self) -> httpx.Client:
        """The `Runtime.http_factory` of the CLI under test."""
        return httpx.Client(transport=httpx.MockTransport(self.handle))

    # --- the browser's side --------------------------------------------------------------

    def authorize(self, url: str) -> str:
        """The user signs in at the authorization URL; return the redirect to the client."""
        params = httpx.URL(url).params
        assert params["client_id"] == self.client_id
        assert params["code_challenge_method"] == "S256"
        code = f"code-{len(self.codes)}"
        self.codes[code] = params.get("nonce")
        query = urlencode({"code": code, "state": params["state"], "iss": self.issuer})
        return f"{params['redirect_uri']}?{query}"

    # --- the provider's endpoints ------------------------------------------------------

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.unreachable:
            raise httpx.ConnectError("connection refused", request=request)
        route = (request.method, request.url.path)
        form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
        if route == ("GET", "/.well-known/openid-configuration"):
            return self.discovery()
        if route == ("GET", "/jwks.json"):
            return _json(200, self.keys.jwks())
        if route == ("POST", "/device_authorization"):
            return self.device_authorization(form)
        if route == ("POST", "/token"):
            return self.token(form)
        if route == ("GET", "/userinfo"):
            return self.userinfo(request)
        if route == ("POST", "/revoke"):
            self.revoked.append(form["token"])
            self.live_refresh_tokens.discard(form["token"])
            return httpx.Response(200, json={})
        return _json(404, {"error": "not_found"})

    def discovery(self) -> httpx.Response:
        if self.discovery_status != 200:
            return httpx.Response(self.discovery_status, text="Internal Server Error")
        base = self.issuer
        return _json(
            200,
            {
                "issuer": self.discovery_issuer,
                "authorization_endpoint": f"{base}/authorize",
                "token_endpoint": f"{base}/token",
                "userinfo_endpoint": f"{base}/userinfo",
                "jwks_uri": f"{base}/jwks.json",
                "device_authorization_endpoint": f"{base}/device_authorization",
                "revocation_endpoint": f"{base}/revoke",
                "end_session_endpoint": f"{base}/logout",
                "authorization_response_iss_parameter_supported": True,
                "refresh_token_lifetime": 30 * 86_400,
            },
        )

    def device_authorization(self, form: dict[str, str]) -> httpx.Response:
        if self.device_error is not None:
            return _json(400, {"error": self.device_error})
        assert form["client_id"] == self.client_id
        return _json(
            200,
            {
                "device_code": "device-code-secret",
                "user_code": USER_CODE,
                "verification_uri": f"{self.issuer}/device",
                "verification_uri_complete": f"{self.issuer}/device?user_code={USER_CODE}",
                "expires_in": 600,
                "interval": 5,
            },
        )

    def token(self, form: dict[str, str]) -> httpx.Response:
        grant_type = form["grant_type"]
        if grant_type == DEVICE_CODE_GRANT:
            self.polls += 1
            if self.device_answers:
                return _json(400, {"error": self.device_answers.pop(0)})
            return _json(200, self.tokens(nonce=None))
        if grant_type == "authorization_code":
            if form["code"] not in self.codes:
                return _json(400, {"error": "invalid_grant"})
            return _json(200, self.tokens(nonce=self.codes.pop(form["code"])))
        if grant_type == "refresh_token":
            if self.refresh_error is not None:
                return _json(400, {"error": self.refresh_error})
            if form["refresh_token"] not in self.live_refresh_tokens:
                return _json(400, {"error": "invalid_grant"})
            self.live_refresh_tokens.discard(form["refresh_token"])
            self.refresh_forms.append(form)
            answer = self.tokens(nonce=None)
            if "scope" in form:  # RFC 6749 §6: a narrower access token, same refresh token scope
                answer["scope"] = form["scope"]
                answer["access_token"] += "-narrow"
            return _json(200, answer)
        return _json(400, {"error": "unsupported_grant_type"})

    def tokens(self, *, nonce: str | None) -> dict[str, Any]:
        self.issued += 1
        now = int(self.clock.now())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": self.subject,
            "aud": self.client_id,
            "exp": now + 600,
            "iat": now,
            "auth_time": now,
            "name": self.name,
            "email": self.email,
            "email_verified": True,
        }
        if nonce is not None:
            claims["nonce"] = nonce
        refresh_token = f"rt-{self.issued}-{self.subject}"
        self.live_refresh_tokens.add(refresh_token)
        return {
            "access_token": f"at-{self.issued}-{self.subject}",
            "token_type": "Bearer",
            "expires_in": 600,
            "refresh_token": refresh_token,
            "id_token": self.keys.sign(claims),
            "scope": "openid profile email offline_access referencing edi",
        }

    def userinfo(self, request: httpx.Request) -> httpx.Response:
        expected = f"Bearer at-{self.issued}-{self.subject}"
        if request.headers.get("authorization") != expected:
            return httpx.Response(401, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
        claims = {"sub": self.subject, "name": self.name, "email": self.email}
        return httpx.Response(200, content=json.dumps({**claims, **self.userinfo_claims}))
