"""DPoP rows of `make bench`: refresh tokens bound to a bench key, and proofs signed ahead.

A proof is good for one request and for `idp.oauth.dpop.MAX_AGE` seconds, so the proofs of a
scenario are signed just before it runs (warm-up and measure), one per request wrk can send.
"""

from __future__ import annotations

import json
import secrets
import time
from pathlib import Path

from joserfc import jws
from joserfc.jwk import ECKey
from sqlalchemy import bindparam, update

from idp.oauth.dpop import access_token_hash
from idp.settings import Settings
from idp.store import Store
from idp.store.grants import grants, refresh_tokens
from idp.store.records import sha256_hex


class BenchKey:
    """The one P-256 key a desktop installation would hold."""

    def __init__(self) -> None:
        self.key = ECKey.generate_key("P-256")
        self._header = {"typ": "dpop+jwt", "alg": "ES256", "jwk": self.key.as_dict(private=False)}

    @property
    def jkt(self) -> str:
        return self.key.thumbprint()

    def proof(self, method: str, url: str, access_token: str | None = None) -> str:
        claims = {"jti": secrets.token_urlsafe(12), "htm": method, "htu": url}
        claims["iat"] = int(time.time())
        if access_token is not None:
            claims["ath"] = access_token_hash(access_token)
        return jws.serialize_compact(self._header, json.dumps(claims).encode(), self.key)


async def bind(settings: Settings, tokens: list[str], jkt: str) -> None:
    """Bind the grants of these refresh tokens to `jkt`, as a first proof at sign-in would."""
    store = Store(settings.database_url)
    try:
        grant_of = (
            refresh_tokens.select()
            .with_only_columns(refresh_tokens.c.grant_id)
            .where(refresh_tokens.c.token_hash == bindparam("token_hash"))
            .scalar_subquery()
        )
        statement = update(grants).where(grants.c.id == grant_of).values(dpop_jkt=jkt)
        async with store.db.write() as c:
            await c.execute(statement, [{"token_hash": sha256_hex(t)} for t in tokens])
    finally:
        await store.close()


def write_refresh_proofs(path: Path, tokens: list[str], key: BenchKey, token_url: str) -> None:
    path.write_text("\n".join(f"{t} {key.proof('POST', token_url)}" for t in tokens))


def write_resource_proofs(
    path: Path, count: int, key: BenchKey, method: str, url: str, access_token: str
) -> None:
    path.write_text("\n".join(f"- {key.proof(method, url, access_token)}" for _ in range(count)))
