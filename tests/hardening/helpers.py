"""Set-up the hardening tests share: a user whose access token may submit through the API."""

from __future__ import annotations

import time

import anyio

from idp.settings import Settings
from idp.store import Store
from tests.edi.helpers import new_grant, reference
from tests.referencing.helpers import BOULANGERIE, import_customers
from tests.support import seed_into

# The read timeout of the `served` provider (conftest): short, for the slow-client tests.
READ_TIMEOUT = 0.6


async def ready_to_submit(store: Store, user_id: str, now: float) -> str:
    """The demo customers imported, the user referenced at the boulangerie (default profile)
    and a live grant of theirs, which an access token for an upload needs: its id."""
    await import_customers(store, now)
    await reference(store, user_id, BOULANGERIE, "default", now)
    return await new_grant(store, user_id, now)


def seeded_submitter(settings: Settings) -> tuple[str, str]:
    """The same in the settings' database, seeded first, for a server started afterwards: the
    user's id and the grant's."""

    async def prepare() -> tuple[str, str]:
        store = Store(settings.database_url)
        try:
            now = time.time()
            seeded = await seed_into(store, settings, now)
            return seeded.user_id, await ready_to_submit(store, seeded.user_id, now)
        finally:
            await store.close()

    return anyio.run(prepare)
