"""ID token validation (OIDC Core §3.1.3.7), one named check at a time.

Signature and the registered claims go through joserfc; the OIDC-specific checks
(`azp`, `at_hash`) are the few lines joserfc does not know about.
"""

from __future__ import annotations

import hmac
from typing import Any, Final

from joserfc import jws, jwt
from joserfc.errors import (
    BadSignatureError,
    ClaimError,
    DecodeError,
    InvalidKeyIdError,
    JoseError,
    UnsupportedAlgorithmError,
)
from joserfc.jwk import KeySet

from ._exceptions import IdTokenError
from ._hashes import half_hash

# RS256 is the OIDC default every provider supports; DESIGN.md §3 lets a client register ES256.
ID_TOKEN_ALGORITHMS: Final = ("RS256", "ES256")
DEFAULT_LEEWAY: Final = 60


def id_token_kid(id_token: str) -> str | None:
    """Return the `kid` header of `id_token` without verifying anything."""
    try:
        header = jws.extract_compact(id_token.encode()).headers()
    except (JoseError, ValueError) as error:
        raise IdTokenError("format", "not a JWS compact serialization") from error
    kid = header.get("kid")
    return kid if isinstance(kid, str) else None


def _decode(id_token: str, keys: KeySet) -> jwt.Token:
    try:
        return jwt.decode(id_token, keys, algorithms=ID_TOKEN_ALGORITHMS)
    except UnsupportedAlgorithmError as error:
        raise IdTokenError("alg", f"only {', '.join(ID_TOKEN_ALGORITHMS)} are accepted") from error
    except InvalidKeyIdError as error:
        raise IdTokenError("kid", "no key in the JWKS matches the token's kid") from error
    except BadSignatureError as error:
        raise IdTokenError("signature", "the signature does not verify") from error
    except (DecodeError, JoseError, ValueError) as error:
        raise IdTokenError("format", f"cannot decode the token: {error}") from error


def _check_registered_claims(
    claims: dict[str, Any],
    *,
    issuer: str,
    client_id: str,
    nonce: str | None,
    now: float,
    leeway: int,
) -> None:
    options: dict[str, jwt.ClaimsOption] = {
        "iss": {"essential": True, "value": issuer},
        "sub": {"essential": True},
        "aud": {"essential": True, "value": client_id},
        "exp": {"essential": True},
        "iat": {"essential": True},
    }
    if nonce is not None:
        options["nonce"] = {"essential": True, "value": nonce}
    registry = jwt.JWTClaimsRegistry(now=int(now), leeway=leeway, **options)
    try:
        registry.validate(claims)
    except ClaimError as error:
        check = error.claim.split(",")[0]
        raise IdTokenError(check, error.description) from error


def _check_azp(claims: dict[str, Any], client_id: str) -> None:
    # OIDC Core §3.1.3.7 steps 4-5: several audiences need an azp naming this client.
    aud = claims["aud"]
    azp = claims.get("azp")
    if isinstance(aud, list) and len(aud) > 1 and azp is None:
        raise IdTokenError("azp", "several audiences but no azp")
    if azp is not None and azp != client_id:
        raise IdTokenError("azp", f"{azp!r} is not this client")


def _check_at_hash(claims: dict[str, Any], alg: str, access_token: str) -> None:
    # OIDC Core §3.1.3.8 / §3.2.2.9: left half of the hash used by the signing alg.
    at_hash = claims.get("at_hash")
    if at_hash is None:
        return
    expected = half_hash(access_token, alg).encode()
    if not isinstance(at_hash, str) or not hmac.compare_digest(expected, at_hash.encode()):
        raise IdTokenError("at_hash", "does not match the access token")


def validate_id_token(
    id_token: str,
    *,
    keys: KeySet,
    issuer: str,
    client_id: str,
    now: float,
    nonce: str | None,
    access_token: str | None = None,
    leeway: int = DEFAULT_LEEWAY,
) -> dict[str, Any]:
    """Validate `id_token` and return its claims, or raise `IdTokenError(check=...)`.

    Checks: `signature` (and `alg`, `kid`, `format`) against `keys`; `iss`; `aud` contains
    `client_id` and `azp` names it when there are several audiences; `exp` and `iat` against
    `now` with `leeway` seconds of clock skew; `sub` present; `nonce` equals the one sent
    (pass `None` after a refresh, OIDC Core §12.2); `at_hash` matches `access_token` when
    both are present.
    """
    token = _decode(id_token, keys)
    claims = dict(token.claims)
    _check_registered_claims(
        claims, issuer=issuer, client_id=client_id, nonce=nonce, now=now, leeway=leeway
    )
    _check_azp(claims, client_id)
    if access_token is not None:
        _check_at_hash(claims, str(token.header["alg"]), access_token)
    return claims
