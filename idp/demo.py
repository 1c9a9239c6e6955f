"""Demo data for `make run`: idempotent, printed so a newcomer can sign in at once."""

from __future__ import annotations

from collections.abc import Sequence
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


@dataclass(frozen=True)
class DemoClient:
    """A client as the demo registers it. The bench seed (bench/seed.py) and the tests
    (tests/support.py) register the same three under their own ids and secrets
    (`dataclasses.replace`), so the three sets cannot drift apart."""

    client_id: str
    name: str
    redirect_uris: Sequence[str]
    post_logout_redirect_uris: Sequence[str]
    grant_types: Sequence[str]
    scope: str
    first_party: bool
    secret: str | None = None  # None: a public client (PKCE)
    id_token_alg: str = "RS256"

    async def register(self, store: Store, now: float) -> None:
        await store.clients.add(
            client_id=self.client_id,
            name=self.name,
            public=self.secret is None,
            secret=self.secret,
            redirect_uris=self.redirect_uris,
            post_logout_redirect_uris=self.post_logout_redirect_uris,
            grant_types=self.grant_types,
            scope=self.scope,
            first_party=self.first_party,
            id_token_alg=self.id_token_alg,
            now=now,
        )


# The desktop application: public, every scope, the device flow too.
DEMO_DESKTOP = DemoClient(
    client_id=DESKTOP_CLIENT_ID,
    name="Sage / Ciel direct",
    redirect_uris=("http://127.0.0.1/callback",),
    post_logout_redirect_uris=("http://127.0.0.1/signed-out",),
    grant_types=("authorization_code", "refresh_token", DEVICE_CODE_GRANT),
    scope=" ".join(ALL_SCOPES),
    first_party=True,
    # Our own client library verifies ES256; each refresh signs a new ID token.
    id_token_alg="ES256",
)
# A third-party web application: confidential, asks for consent, no EDI.
DEMO_PARTNER = DemoClient(
    client_id=PARTNER_CLIENT_ID,
    name="Paie Partenaire (application tierce de démonstration)",
    secret=PARTNER_SECRET,
    redirect_uris=("http://127.0.0.1:9000/callback",),
    post_logout_redirect_uris=("http://127.0.0.1:9000/",),
    grant_types=("authorization_code", "refresh_token"),
    scope="openid profile email offline_access referencing",
    first_party=False,
)
# A batch service: client credentials for itself (and introspection of the tokens it gets).
DEMO_SERVICE = DemoClient(
    client_id=SERVICE_CLIENT_ID,
    name="Service EDI par lots (démonstration)",
    secret=SERVICE_SECRET,
    redirect_uris=(),
    post_logout_redirect_uris=(),
    grant_types=("client_credentials",),
    scope="edi",
    first_party=True,
)
DEMO_CLIENTS = (DEMO_DESKTOP, DEMO_PARTNER, DEMO_SERVICE)


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

    lines.append("Demo clients:")
    for client in DEMO_CLIENTS:
        if await store.clients.get(client.client_id) is None:
            await client.register(store, now)
        secret = f" secret={client.secret}" if client.secret else " (public, PKCE)"
        lines.append(f"  {client.client_id}: {client.name}{secret}")
    lines += await load_demo_customers(store, passwords, now)
    return lines
