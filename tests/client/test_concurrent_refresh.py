"""Two OS processes sharing the cache: one rotation, both get a token, no invalid_grant."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from client import TokenCache

from .fake_token_server import FakeTokenServer
from .helpers import CLIENT_ID, ISSUER, MemoryKeyring, make_entry, wait_for

ROOT = Path(__file__).resolve().parents[2]


def seed_cache(cache_dir: Path, memory_keyring: MemoryKeyring) -> tuple[TokenCache, str]:
    """A cache whose access token has expired and whose refresh token is `rt-0`."""
    cache = TokenCache(cache_dir)
    cache.store(make_entry(time.time(), refresh_token="rt-0", expires_in=-10))
    return cache, memory_keyring.passwords[("sageid", str(cache.path))]


def start_worker(tmp_path: Path, name: str, config: dict[str, Any]) -> subprocess.Popen[str]:
    config_path = tmp_path / f"{name}.json"
    config_path.write_text(json.dumps(config))
    env = {k: v for k, v in os.environ.items() if k != "SAGEID_CACHE_PASSPHRASE"}
    return subprocess.Popen(
        [sys.executable, "-m", "tests.client.refresh_worker", str(config_path)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def run_pair(
    tmp_path: Path, memory_keyring: MemoryKeyring, server: FakeTokenServer, mode: str
) -> tuple[TokenCache, list[tuple[int, dict[str, Any]]]]:
    cache, key = seed_cache(tmp_path / "sageid", memory_keyring)
    go = tmp_path / "go"
    workers = []
    for name in ("a", "b"):
        config = {
            "mode": mode,
            "cache_dir": str(cache.directory),
            "keyring_username": str(cache.path),
            "key": key,
            "token_endpoint": server.token_endpoint,
            "ready": str(tmp_path / f"{name}.ready"),
            "go": str(go),
        }
        workers.append(start_worker(tmp_path, name, config))
    try:
        wait_for(lambda: all((tmp_path / f"{n}.ready").exists() for n in "ab"), timeout=60)
        go.touch()  # both processes start asking at the same moment
        outputs = [worker.communicate(timeout=60) for worker in workers]
    finally:
        for worker in workers:
            worker.kill()
            worker.wait()
    results = []
    for worker, (stdout, stderr) in zip(workers, outputs, strict=True):
        assert stdout.strip(), stderr
        results.append((worker.returncode, json.loads(stdout.strip().splitlines()[-1])))
    return cache, results


def test_two_processes_refreshing_spend_the_refresh_token_once(
    tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    with FakeTokenServer(hold=1.5) as server:
        cache, results = run_pair(tmp_path, memory_keyring, server, "refresh")

    assert [code for code, _ in results] == [0, 0], results
    assert [result["token"] for _, result in results] == ["at-1", "at-1"]
    assert (server.rotations, server.reuses) == (1, 0)
    # Both asked while the single refresh was in flight: the second waited on the lock.
    [(_, refresh_ended)] = server.refresh_windows
    assert all(result["started"] < refresh_ended for _, result in results)
    stored = cache.find(ISSUER, CLIENT_ID)
    assert (stored.access_token, stored.refresh_token) == ("at-1", "rt-1")


def test_control_without_the_lock_the_token_is_spent_twice(
    tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    # Shows the test above can fail: without the lock the second process replays rt-0.
    with FakeTokenServer(hold=1.0) as server:
        _, results = run_pair(tmp_path, memory_keyring, server, "refresh-unlocked")
    assert server.reuses == 1
    assert sorted(code for code, _ in results) == [0, 1]
    assert any(result.get("error") == "SignInRevoked" for _, result in results)


@pytest.mark.skipif(sys.platform == "win32", reason="os._exit semantics differ")
def test_process_killed_mid_write_leaves_the_old_cache(
    tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    cache, key = seed_cache(tmp_path / "sageid", memory_keyring)
    before = cache.path.read_bytes()
    config = {
        "mode": "crash",
        "cache_dir": str(cache.directory),
        "keyring_username": str(cache.path),
        "key": key,
    }
    worker = start_worker(tmp_path, "crash", config)
    _, stderr = worker.communicate(timeout=60)
    assert worker.returncode == 3, stderr

    assert cache.path.read_bytes() == before
    assert cache.find(ISSUER, CLIENT_ID).refresh_token == "rt-0"
    leftovers = list(cache.directory.glob(".tokens.cache.*.tmp"))
    assert len(leftovers) == 1  # the dead process's temp file, never renamed into place
    cache.store(make_entry(time.time(), access_token="at-after-the-crash"))
    assert cache.find(ISSUER, CLIENT_ID).access_token == "at-after-the-crash"
    assert list(cache.directory.glob(".tokens.cache.*.tmp")) == []  # tidied by the next write
