"""Retention: the periodic purge of ended rows, run by the server (every
`settings.retention.purge_interval` seconds, from the app's lifespan) and by
`sageid-idp db purge`. What is deleted and after how long: `idp.store.retention` and
`idp.settings.Retention`."""

from __future__ import annotations

import logging

import anyio

from idp.clock import Clock
from idp.settings import Retention
from idp.store import Store
from idp.store.retention import purge

log = logging.getLogger("sageid.retention")


async def purge_once(store: Store, clock: Clock, keep: Retention) -> dict[str, int]:
    counts = await purge(store.db, clock.now(), keep)
    if deleted := {table: n for table, n in counts.items() if n}:
        log.info("purged %s", ", ".join(f"{n} {table}" for table, n in deleted.items()))
    return counts


async def purge_periodically(store: Store, clock: Clock, keep: Retention) -> None:
    """The server's purge task: runs until cancelled; a failure is logged and retried at the
    next interval (a busy database must not stop the purging for good)."""
    while True:
        await anyio.sleep(keep.purge_interval)
        try:
            await purge_once(store, clock, keep)
        except Exception:
            log.exception("could not purge ended rows")
