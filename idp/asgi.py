"""The ASGI entry point for uvicorn (`idp.asgi:app_factory`, several workers possible)."""

from __future__ import annotations

import gc

from starlette.applications import Starlette

from idp.api.upload_slots import map_large_allocations
from idp.app import create_app
from idp.settings import Settings
from idp.web.protocol import ServingProtocol


def app_factory() -> Starlette:
    settings = Settings.from_env()
    map_large_allocations()  # memory of large uploads goes back to the system (issue 14)
    app = create_app(settings)
    # The protocol class `sageid-idp serve` gave uvicorn, imported by name in this worker.
    ServingProtocol.read_timeout = settings.read_timeout
    # What is built by now (modules, keys, Authlib, SQLAlchemy, templates) lives as long as the
    # process: out of the collector's sight, a full collection no longer scans it, which was the
    # long pauses of the p99 under load (bench/README.md).
    gc.collect()
    gc.freeze()
    return app
