"""DPoP proofs (RFC 9449), checked with joserfc: Authlib 1.x has no DPoP support.

A proof is a JWT the client signs with its own key for one HTTP request. `DPoPVerifier.check`
does every check that needs no store (§4.3): `typ: dpop+jwt`, an asymmetric algorithm of ours
(never `none`, never HMAC), a public `jwk` in the header that verifies the signature, `htm`,
`htu` (query and fragment ignored, §4.3 point 9), `iat` within the window, a `jti`, `ath` at a
resource server (and none at the token endpoint, where no access token is presented), and the
server nonce when nonces are enabled. The `jti` is then remembered in the database
(`DPoPProofRepository.remember`), so a proof replayed on any node is refused.

Server nonces (§8) are stateless: an HMAC of the current time window under a sub-key of the
server secret, which every node shares; the nonce of the previous window is still accepted.

Nothing here runs when a request has no `DPoP` header: bearer requests pay nothing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import warnings
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from joserfc import jws
from joserfc.errors import JoseError, SecurityWarning
from joserfc.jwk import JWKRegistry

# `Ed25519` is RFC 9864's fully-specified name for what `EdDSA` means with an Ed25519 key.
ALGORITHMS = ("ES256", "EdDSA", "Ed25519", "RS256", "PS256")
ALGORITHM_KEY_TYPES = {
    "ES256": "EC",
    "EdDSA": "OKP",
    "Ed25519": "OKP",
    "RS256": "RSA",
    "PS256": "RSA",
}
PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
# A proof is accepted this long after its `iat`, and this far ahead of our clock.
MAX_AGE = 60.0
MAX_SKEW = 10.0
NONCE_WINDOW = 300  # seconds; the previous window's nonce is still accepted
MAX_PROOF_BYTES = 8192
KEY_MEMO_SIZE = 4096


def _registry() -> jws.JWSRegistry:
    """Our algorithms only; a header large enough for an RSA `jwk` (joserfc's default is 512
    bytes, less than a 2048-bit RSA public key takes)."""
    registry = jws.JWSRegistry(algorithms=list(ALGORITHMS))
    registry.max_header_length = 4096
    return registry


REGISTRY = _registry()


class DPoPError(Exception):
    """A refused proof: `invalid_dpop_proof`, or `use_dpop_nonce` when a fresh nonce is due."""

    def __init__(self, description: str, *, error: str = "invalid_dpop_proof") -> None:
        super().__init__(description)
        self.error = error
        self.description = description


@dataclass(frozen=True)
class ProofTarget:
    """The request a proof must be made for (§4.3): its method and URL, the time now, and at
    a resource server the access token it is sent with (`ath`)."""

    method: str
    uri: str
    now: float
    access_token: str | None = None


@dataclass(frozen=True)
class Proof:
    jkt: str  # RFC 7638 thumbprint of the proof's key (the `cnf.jkt` it binds to)
    jti: str
    iat: float

    @property
    def replay_key(self) -> str:
        """What the replay table keeps: the `jti`, per key, hashed to a fixed length."""
        return hashlib.sha256(f"{self.jkt}:{self.jti}".encode()).hexdigest()


# The proof of the token request being served (set by the token endpoint around Authlib, which
# runs in the same context): the token generator binds the access token to its key.
CURRENT_PROOF: ContextVar[Proof | None] = ContextVar("sageid_dpop_proof", default=None)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def access_token_hash(access_token: str) -> str:
    """`ath` (§4.2): base64url SHA-256 of the access token's ASCII bytes."""
    return b64(hashlib.sha256(access_token.encode("ascii", "replace")).digest())


def normalized_uri(uri: str) -> str:
    """`htu` compared without query and fragment, scheme and host in lower case (§4.3)."""
    parts = urlsplit(uri)
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", "", ""))


class DPoPVerifier:
    def __init__(self, nonce_secret: bytes, *, require_nonce: bool = False) -> None:
        self._nonce_secret = nonce_secret
        self.require_nonce = require_nonce
        self._keys: dict[str, tuple[Any, str]] = {}

    def nonce(self, now: float | None = None) -> str:
        window = int((time.time() if now is None else now) // NONCE_WINDOW)
        return self._nonce_of(window)

    def _nonce_of(self, window: int) -> str:
        mac = hmac.new(self._nonce_secret, str(window).encode(), hashlib.sha256).digest()
        return f"{window}.{b64(mac[:18])}"

    def _nonce_is_fresh(self, nonce: object, now: float) -> bool:
        if not isinstance(nonce, str):
            return False
        window = int(now // NONCE_WINDOW)
        return any(hmac.compare_digest(nonce, self._nonce_of(w)) for w in (window, window - 1))

    def check(self, proof: str, target: ProofTarget) -> Proof:
        """Every stateless check of §4.3; raises `DPoPError`. The `jti` replay check is the
        caller's (one database write)."""
        alg, jwk = _header(proof)
        claims, jkt = self._verified_claims(proof, alg, jwk)
        jti, iat = _check_claims(claims, target)
        if self.require_nonce and not self._nonce_is_fresh(claims.get("nonce"), target.now):
            raise DPoPError(
                "A fresh DPoP nonce is required: use the one in the DPoP-Nonce header.",
                error="use_dpop_nonce",
            )
        return Proof(jkt=jkt, jti=jti, iat=float(iat))

    def _verified_claims(
        self, proof: str, alg: str, jwk: dict[str, Any]
    ) -> tuple[dict[str, Any], str]:
        """The proof's claims, its signature verified with its own `jwk`, and the key's
        thumbprint."""
        try:
            key, jkt = self._key_of(jwk)
            if alg == "EdDSA":  # joserfc warns that RFC 9864 deprecates the name; still in use
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", SecurityWarning)
                    verified = jws.deserialize_compact(proof, key, registry=REGISTRY)
            else:
                verified = jws.deserialize_compact(proof, key, registry=REGISTRY)
            claims = json.loads(verified.payload)
        except (JoseError, ValueError, TypeError):
            raise DPoPError("The DPoP proof's signature does not verify with its 'jwk'.") from None
        if not isinstance(claims, dict):
            raise DPoPError("The DPoP proof's claims are not a JSON object.")
        return claims, jkt

    def _key_of(self, jwk: dict[str, Any]) -> tuple[Any, str]:
        """The imported key and its thumbprint, remembered per `jwk`: a client proves with
        the same key on every request, and importing it and hashing its thumbprint again
        costs more than the signature check (bounded; only keys that imported are kept)."""
        memo_key = json.dumps(jwk, sort_keys=True)
        known = self._keys.get(memo_key)
        if known is None:
            key = JWKRegistry.import_key(jwk)
            known = (key, key.thumbprint())
            if len(self._keys) >= KEY_MEMO_SIZE:
                self._keys.pop(next(iter(self._keys), ""), None)
            self._keys[memo_key] = known
        return known


def _header(proof: str) -> tuple[str, dict[str, Any]]:
    """The proof's algorithm and public key, from its protected header (§4.2)."""
    if len(proof) > MAX_PROOF_BYTES or proof.count(".") != 2:
        raise DPoPError("The DPoP proof is not a compact JWT.")
    try:
        header = jws.extract_compact(proof.encode("ascii"), registry=REGISTRY).protected
    except (JoseError, ValueError, UnicodeError):
        raise DPoPError("The DPoP proof is not a readable JWT.") from None
    if header.get("typ") != "dpop+jwt":
        raise DPoPError("The DPoP proof must have 'typ: dpop+jwt'.")
    alg = header.get("alg")
    if alg not in ALGORITHMS:
        raise DPoPError(f"DPoP proofs must be signed with one of {', '.join(ALGORITHMS)}.")
    jwk = header.get("jwk")
    if not isinstance(jwk, dict) or PRIVATE_MEMBERS & jwk.keys():
        raise DPoPError("The DPoP proof must carry its public key as 'jwk' (public only).")
    if jwk.get("kty") != ALGORITHM_KEY_TYPES[alg]:
        raise DPoPError(f"The 'jwk' of the DPoP proof is not a key for {alg}.")
    return str(alg), jwk


def _check_claims(claims: dict[str, Any], target: ProofTarget) -> tuple[str, float]:
    """§4.3 checks 7 to 11 against the request: `jti`, `htm`, `htu`, `iat`, `ath`; returns
    the `jti` and `iat`."""
    jti = claims.get("jti")
    if not isinstance(jti, str) or not jti or len(jti) > 256:
        raise DPoPError("The DPoP proof must have a 'jti'.")
    if claims.get("htm") != target.method:
        raise DPoPError(f"The DPoP proof's 'htm' must be {target.method}.")
    htu = claims.get("htu")
    if not isinstance(htu, str) or normalized_uri(htu) != normalized_uri(target.uri):
        raise DPoPError("The DPoP proof's 'htu' is not this endpoint's URL.")
    iat = claims.get("iat")
    if not isinstance(iat, int | float) or isinstance(iat, bool):
        raise DPoPError("The DPoP proof must have a numeric 'iat'.")
    if iat < target.now - MAX_AGE or iat > target.now + MAX_SKEW:
        raise DPoPError("The DPoP proof's 'iat' is too old or in the future.")
    _check_access_token_hash(claims, target.access_token)
    return jti, iat


def _check_access_token_hash(claims: dict[str, Any], access_token: str | None) -> None:
    if access_token is None:
        if "ath" in claims:
            raise DPoPError("A DPoP proof for an access token ('ath') is not for /token.")
    elif not isinstance(claims.get("ath"), str) or not hmac.compare_digest(
        claims["ath"], access_token_hash(access_token)
    ):
        raise DPoPError("The DPoP proof's 'ath' does not match the access token.")


Remember = Callable[[str, float, float], Awaitable[bool]]


async def verify(
    verifier: DPoPVerifier, remember: Remember, proof: str, target: ProofTarget
) -> Proof:
    """`check`, then the `jti` recorded for every node (§11.1): a second use is refused."""
    checked = verifier.check(proof, target)
    if not await remember(checked.replay_key, checked.iat + MAX_AGE + MAX_SKEW, target.now):
        raise DPoPError("This DPoP proof was used already (its 'jti' was seen before).")
    return checked


def bound_key(claims: dict[str, Any]) -> str | None:
    """The `cnf.jkt` of an access token's claims (RFC 9449 §6.1), if it is DPoP-bound."""
    cnf = claims.get("cnf")
    jkt = cnf.get("jkt") if isinstance(cnf, dict) else None
    return jkt if isinstance(jkt, str) else None


def challenge(verifier: DPoPVerifier, error: str, description: str, now: float) -> dict[str, str]:
    """The `WWW-Authenticate: DPoP` challenge of a resource server (§7.1), with a fresh
    `DPoP-Nonce` when one is asked for."""
    safe = description.replace('"', "'")
    headers = {
        "WWW-Authenticate": f'DPoP algs="{" ".join(ALGORITHMS)}", error="{error}", '
        f'error_description="{safe}"'
    }
    if error == "use_dpop_nonce":
        headers["DPoP-Nonce"] = verifier.nonce(now)
    return headers


def proof_header(headers: Any) -> str | None:
    """The single `DPoP` header of a request (§4.3: exactly one), or None; several → error."""
    values = headers.getlist("dpop") if hasattr(headers, "getlist") else None
    if values is None:
        value = headers.get("dpop")
        return str(value) if value is not None else None
    if not values:
        return None
    if len(values) > 1:
        raise DPoPError("Send exactly one DPoP header.")
    return str(values[0])


async def check_resource_request(
    verifier: DPoPVerifier,
    remember: Remember,
    headers: Any,
    *,
    scheme: str,
    token: str,
    claims: dict[str, Any],
    method: str,
    uri: str,
    now: float,
) -> None:
    """At a resource server (§7): a DPoP-bound token only with `Authorization: DPoP` and a
    proof by its key for this request (`ath` included); a bearer token only as `Bearer`.
    Raises `InvalidTokenError`-like `DPoPError`s: `error` is `invalid_token`,
    `invalid_dpop_proof` or `use_dpop_nonce`. Costs nothing for a bearer token sent as such."""
    jkt = bound_key(claims)
    dpop_scheme = scheme.lower() == "dpop"
    if jkt is None:
        if dpop_scheme:
            raise DPoPError(
                "This access token is not DPoP-bound: send it as a Bearer token.",
                error="invalid_token",
            )
        return
    if not dpop_scheme:
        raise DPoPError(
            "This access token is DPoP-bound: send it as 'Authorization: DPoP' with a proof.",
            error="invalid_token",
        )
    raw = proof_header(headers)
    if raw is None:
        raise DPoPError("A DPoP proof (the DPoP header) is required with this access token.")
    proof = await verify(verifier, remember, raw, ProofTarget(method, uri, now, token))
    if not hmac.compare_digest(proof.jkt, jkt):
        raise DPoPError("The DPoP proof is signed by another key than the token is bound to.")
