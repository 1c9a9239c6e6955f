"""The EDI tests' world: the test customers, and their members with different profiles.

Boulangerie Martin (C0001234): Marie (default profile: every permission).
Cabinet Comptable Durand (C0002087): Paul (default profile), and Léa with a profile that may
only send declarations (no banking, no tracking of the others' submissions).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from idp.context import AppContext
from idp.settings import Settings
from tests.conftest import make_settings
from tests.edi.helpers import mint, new_grant, reference
from tests.referencing.helpers import BOULANGERIE, CABINET, PAUL, add_user, import_customers
from tests.support import Seeded

# Small enough to test the limit cheaply; the 20 MB default is a settings test.
MAX_BYTES = 50_000
LEA = "lea.girard@example.com"
DECLARATIONS_ONLY = "Déclarations seulement"


@pytest.fixture
def settings(tmp_path: Path, database_url: str, key_template: Path) -> Settings:
    return make_settings(tmp_path, database_url, key_template).replace(
        submission_max_bytes=MAX_BYTES
    )


@dataclass(frozen=True)
class Edi:
    ctx: AppContext
    marie: str
    paul: str
    lea: str

    async def token(self, user_id: str, *, scope: str = "openid edi") -> str:
        """A live grant of the user and an access token on it."""
        grant_id = await new_grant(self.ctx.store, user_id, self.ctx.clock.now())
        return mint(self.ctx.settings, self.ctx.keys, user_id, grant_id, scope=scope)


@pytest.fixture
async def edi(ctx: AppContext, seeded: Seeded) -> Edi:
    now = ctx.clock.now()
    store = ctx.store
    await import_customers(store, now)
    await reference(store, seeded.user_id, BOULANGERIE, "default", now)
    paul = await add_user(store, PAUL, now, name="Paul Durand")
    await reference(store, paul.id, CABINET, "default", now)
    lea = await add_user(store, LEA, now, name="Léa Girard")
    await store.customers.add_profile(CABINET, DECLARATIONS_ONLY, ["submit_declarations"], now)
    await reference(store, lea.id, CABINET, DECLARATIONS_ONLY, now)
    return Edi(ctx, seeded.user_id, paul.id, lea.id)
