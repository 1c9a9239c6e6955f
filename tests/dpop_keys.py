"""A DPoP client key for the tests: proofs (RFC 9449 §4) good or deliberately broken."""

from __future__ import annotations

import base64
import json
import secrets
import time
import warnings
from typing import Any

from joserfc import jws
from joserfc.errors import SecurityWarning
from joserfc.jwk import ECKey, OctKey, OKPKey, RSAKey

from idp.oauth.dpop import access_token_hash

Key = ECKey | OKPKey | RSAKey


def new_key(alg: str) -> Key:
    if alg in ("EdDSA", "Ed25519"):
        return OKPKey.generate_key("Ed25519")
    if alg == "ES256":
        return ECKey.generate_key("P-256")
    return RSAKey.generate_key(2048)


class DPoPKey:
    def __init__(self, alg: str = "ES256") -> None:
        self.alg = alg
        self.key = new_key(alg)
        self.nonce: str | None = None  # put in every proof while set

    @property
    def jkt(self) -> str:
        return self.key.thumbprint()

    def proof(
        self,
        method: str,
        url: str,
        *,
        access_token: str | None = None,
        nonce: str | None = None,
        iat: float | None = None,
        jti: str | None = None,
        header: dict[str, Any] | None = None,
        claims: dict[str, Any] | None = None,
    ) -> str:
        protected: dict[str, Any] = {
            "typ": "dpop+jwt",
            "alg": self.alg,
            "jwk": self.key.as_dict(private=False),
        }
        protected.update(header or {})
        payload: dict[str, Any] = {
            "jti": jti or secrets.token_urlsafe(16),
            "htm": method,
            "htu": url,
            "iat": int(time.time() if iat is None else iat),
        }
        if access_token is not None:
            payload["ath"] = access_token_hash(access_token)
        if (nonce := nonce or self.nonce) is not None:
            payload["nonce"] = nonce
        payload.update(claims or {})
        with warnings.catch_warnings():  # joserfc: RFC 9864 deprecates the name EdDSA
            warnings.simplefilter("ignore", SecurityWarning)
            return jws.serialize_compact(
                protected, json.dumps(payload).encode(), self.key, algorithms=[protected["alg"]]
            )


def unsigned_proof(method: str, url: str) -> str:
    """`alg: none`: never accepted."""

    def b64(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    key = ECKey.generate_key("P-256").as_dict(private=False)
    header = {"typ": "dpop+jwt", "alg": "none", "jwk": key}
    claims = {"jti": secrets.token_urlsafe(8), "htm": method, "htu": url, "iat": int(time.time())}
    return f"{b64(header)}.{b64(claims)}."


def symmetric_proof(method: str, url: str) -> str:
    """`alg: HS256` with the secret key in `jwk`: never accepted."""

    key = OctKey.generate_key(256)
    header = {"typ": "dpop+jwt", "alg": "HS256", "jwk": key.as_dict(private=True)}
    claims = {"jti": secrets.token_urlsafe(8), "htm": method, "htu": url, "iat": int(time.time())}
    return jws.serialize_compact(header, json.dumps(claims).encode(), key, algorithms=["HS256"])
