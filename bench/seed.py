"""The benchmark's own data, in its own temporary folder: demo-like clients and user, and
refresh tokens minted straight into the store (one grant each, as many desktop sign-ins)."""

from __future__ import annotations

import secrets
import time
import uuid
from dataclasses import dataclass, replace
from pathlib import Path

from sqlalchemy import insert

from idp.demo import DEMO_DESKTOP, DEMO_SERVICE
from idp.keys import KeyFile
from idp.migrate import upgrade
from idp.passwords import Passwords
from idp.settings import DAY, Settings
from idp.store import Store
from idp.store.records import sha256_hex
from idp.store.tables import grants, refresh_tokens

DESKTOP_ID = "bench-desktop"
RS256_DESKTOP_ID = "bench-desktop-rs256"  # a client that kept the RS256 default for ID tokens
SERVICE_ID = "bench-service"
SERVICE_SECRET = "bench-service-secret"
DESKTOP_SCOPE = "openid profile email offline_access"
BATCH = 5_000
# The demo's clients (idp/demo.py) under the bench's ids: the desktop application (ES256 ID
# tokens), the same one with the RS256 default, and a resource server (client credentials
# for itself, introspection of the tokens it receives).
BENCH_CLIENTS = (
    replace(DEMO_DESKTOP, client_id=DESKTOP_ID, name="Desktop (bench)"),
    replace(
        DEMO_DESKTOP,
        client_id=RS256_DESKTOP_ID,
        name="Desktop, RS256 ID tokens (bench)",
        id_token_alg="RS256",
    ),
    replace(DEMO_SERVICE, client_id=SERVICE_ID, name="EDI service (bench)", secret=SERVICE_SECRET),
)


@dataclass(frozen=True)
class Seed:
    refresh_tokens_file: Path
    rs256_refresh_tokens_file: Path


def prepare(settings: Settings) -> None:
    """Schema and keys (blocking: outside an event loop)."""
    upgrade(settings.database_url)
    KeyFile(settings.key_dir).ensure()


async def seed(settings: Settings, tokens: int, rs256_tokens: int = 0) -> Seed:
    now = time.time()
    store = Store(settings.database_url)
    try:
        user = await store.users.add(
            email="marie.martin@example.com",
            name="Marie Martin",
            password_hash=await Passwords(settings.password_hashing).hash(secrets.token_hex()),
            email_verified=True,
            now=now,
        )
        for client in BENCH_CLIENTS:
            await client.register(store, now)
        minted = [secrets.token_urlsafe(32) for _ in range(tokens)]
        minted_rs256 = [secrets.token_urlsafe(32) for _ in range(rs256_tokens)]
        owners = [DESKTOP_ID] * tokens + [RS256_DESKTOP_ID] * rs256_tokens
        every = minted + minted_rs256
        for start in range(0, len(every), BATCH):
            grant_rows, token_rows = [], []
            for token, client_id in zip(
                every[start : start + BATCH], owners[start : start + BATCH], strict=True
            ):
                grant_id = str(uuid.uuid4())
                grant_rows.append(
                    {
                        "id": grant_id,
                        "user_id": user.id,
                        "client_id": client_id,
                        "scope": DESKTOP_SCOPE,
                        "auth_time": now,
                        "created_at": now,
                        "expires_at": now + 30 * DAY,
                        "revoked_at": None,
                    }
                )
                token_rows.append(
                    {
                        "token_hash": sha256_hex(token),
                        "grant_id": grant_id,
                        "scope": DESKTOP_SCOPE,
                        "created_at": now,
                    }
                )
            async with store.db.write() as c:
                await c.execute(insert(grants), grant_rows)
                await c.execute(insert(refresh_tokens), token_rows)
    finally:
        await store.close()
    settings.data_dir.mkdir(parents=True, exist_ok=True)  # SQLite made it; PostgreSQL not
    path = settings.data_dir / "refresh-tokens.txt"
    path.write_text("\n".join(minted) + "\n")
    rs256_path = settings.data_dir / "refresh-tokens-rs256.txt"
    rs256_path.write_text("\n".join(minted_rs256) + "\n")
    return Seed(path, rs256_path)
