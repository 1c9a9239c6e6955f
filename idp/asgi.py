"""The ASGI entry point for uvicorn (`idp.asgi:app_factory`, several workers possible)."""

from __future__ import annotations

import gc

from starlette.applications import Starlette

from idp.app import create_app
from idp.settings import Settings


def app_factory() -> Starlette:
    app = create_app(Settings.from_env())
    # What is built by now (modules, keys, Authlib, SQLAlchemy, templates) lives as long as the
    # process: out of the collector's sight, a full collection no longer scans it. Measured
    # under load: ~60 ms pauses (userinfo p99 55 ms) without, p99 3 ms with.
    gc.collect()
    gc.freeze()
    return app
