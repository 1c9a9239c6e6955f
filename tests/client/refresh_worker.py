"""A separate OS process using the token cache, driven by test_concurrent_refresh.py.

Usage: python -m tests.client.refresh_worker CONFIG.json
Modes: `refresh` (get an access token), `refresh-unlocked` (the same with the cache lock
disabled: the control showing the test can fail), `crash` (die in the middle of a write).
Prints one JSON line; exit status 0 on success, 1 on a `SageIDError`.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import keyring

import client._cache
from client import SageIDError, Session, SystemClock, TokenCache, http_refresher

from .helpers import CLIENT_ID, ISSUER, MemoryKeyring, make_entry, wait_for


@contextlib.contextmanager
def _no_lock(self: TokenCache) -> Iterator[None]:
    yield


def _refresh(config: dict[str, Any], cache: TokenCache) -> dict[str, Any]:
    Path(config["ready"]).touch()
    wait_for(Path(config["go"]).exists, timeout=30)
    started = time.time()
    with httpx.Client(trust_env=False, timeout=30) as http:
        refresh = http_refresher(http, config["token_endpoint"], CLIENT_ID, clock=SystemClock())
        token = Session(cache, ISSUER, CLIENT_ID, refresh).get_access_token()
    return {"token": token, "started": started}


def _crash(config: dict[str, Any], cache: TokenCache) -> dict[str, Any]:
    def die(fd: object) -> None:
        os._exit(3)  # The process dies after writing the temp file, before the rename.

    os.fsync = die
    cache.store(make_entry(time.time(), access_token="at-from-the-crashed-process"))
    return {}


def main(config_path: str) -> int:
    config = json.loads(Path(config_path).read_text())
    backend = MemoryKeyring()
    backend.passwords[("sageid", config["keyring_username"])] = config["key"]
    keyring.set_keyring(backend)
    if config["mode"] == "refresh-unlocked":
        client._cache.TokenCache.locked = _no_lock  # type: ignore[method-assign]
    cache = TokenCache(Path(config["cache_dir"]))
    run = _crash if config["mode"] == "crash" else _refresh
    try:
        result = run(config, cache)
    except SageIDError as error:
        print(json.dumps({"error": type(error).__name__, "message": str(error)}))
        return 1
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
