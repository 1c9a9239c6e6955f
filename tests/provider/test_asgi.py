"""The uvicorn entry point."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest

from idp.asgi import app_factory


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()  # the test process must collect its own garbage as usual


def test_the_server_app_leaves_its_start_up_objects_out_of_collections(
    unfrozen: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SAGEID_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("SAGEID_KEY_DIR", str(tmp_path / "certs"))
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'var' / 'x.db'}")
    app = app_factory()
    assert gc.get_freeze_count() > 10_000
    assert app.state.ctx.settings.data_dir == tmp_path / "var"
