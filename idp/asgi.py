"""The ASGI entry point for uvicorn (`idp.asgi:app_factory`, several workers possible)."""

from __future__ import annotations

from starlette.applications import Starlette

from idp.app import create_app
from idp.settings import Settings


def app_factory() -> Starlette:
    return create_app(Settings.from_env())
