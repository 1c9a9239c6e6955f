"""Demo data for `make run`: idempotent, printed so a newcomer can sign in at once."""

from __future__ import annotations

from dataclasses import dataclass

from idp.customer_data import load_demo_customers
from idp.passwords import Passwords
from idp.settings import Settings
from idp.store import Store
from shared.scopes import ALL_SCOPES, DEVICE_CODE_GRANT

DESKTOP_CLIENT_ID = "sage-desktop"
PARTNER_CLIENT_ID = "partner-demo"
PARTNER_SECRET = "partner-demo-secret-change-me"
SERVICE_CLIENT_ID = "edi-service-demo"
SERVICE_SECRET = "edi-service-demo-secret-change-me"


@dataclass(frozen=True)
class DemoUser:
    email: str
    name: str
    password: str
    verified: bool = True


DEMO_USERS = (
    DemoUser("marie.martin@example.com", "Marie Martin", "Boulangerie-Martin-2026"),
    DemoUser("paul.durand@example.com", "Paul Durand", "Cabinet-Durand-Paie-42"),
)


async def load_demo(store: Store, settings: Settings, now: float) -> list[str]:
    """Create what is missing; return the lines to print."""
    passwords = Passwords(settings.password_hashing)
    lines = ["Demo users (email / password):"]
    for demo in DEMO_USERS:
        if await store.users.by_email(demo.email) is None:
            await store.users.add(
                email=demo.email,
                name=demo.name,
                password_hash=await passwords.hash(demo.password),
                email_verified=demo.verified,
                now=now,
            )
        lines.append(f"  {demo.email} / {demo.password}")

    scope = " ".join(ALL_SCOPES)
    clients = [
        dict(
            client_id=DESKTOP_CLIENT_ID,
            name="Sage / Ciel direct",
            public=True,
            redirect_uris=["http://127.0.0.1/callback"],
            post_logout_redirect_uris=["http://127.0.0.1/signed-out"],
            grant_types=["authorization_code", "refresh_token", DEVICE_CODE_GRANT],
            scope=scope,
            first_party=True,
            # Our own client library verifies ES256; each refresh signs a new ID token.
            id_token_alg="ES256",
        ),
        dict(
            client_id=PARTNER_CLIENT_ID,
            name="Paie Partenaire (application tierce de démonstration)",
            public=False,
            secret=PARTNER_SECRET,
            redirect_uris=["http://127.0.0.1:9000/callback"],
            post_logout_redirect_uris=["http://127.0.0.1:9000/"],
            grant_types=["authorization_code", "refresh_token"],
            scope="openid profile email offline_access referencing",
            first_party=False,
        ),
        dict(
            client_id=SERVICE_CLIENT_ID,
            name="Service EDI par lots (démonstration)",
            public=False,
            secret=SERVICE_SECRET,
            redirect_uris=[],
            post_logout_redirect_uris=[],
            grant_types=["client_credentials"],
            scope="edi",
            first_party=True,
        ),
    ]
    lines.append("Demo clients:")
    for spec in clients:
        if await store.clients.get(str(spec["client_id"])) is None:
            await store.clients.add(now=now, **spec)  # type: ignore[arg-type]
        secret = f" secret={spec['secret']}" if spec.get("secret") else " (public, PKCE)"
        lines.append(f"  {spec['client_id']}: {spec['name']}{secret}")
    lines += await load_demo_customers(store, passwords, now)
    return lines
