"""A keyring backend kept in one JSON file, for `bench/client.py` only: this machine has no
OS keyring, and the benchmark must still take the keyring path (`keyring` resolving its
backend, the cache key read, AES-GCM) as a desktop session would. Never for real secrets:
the file is the key in clear.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from keyring.backend import KeyringBackend

FILE_ENV = "SAGEID_BENCH_KEYRING_FILE"


class FileKeyring(KeyringBackend):  # type: ignore[misc]
    priority = 1  # type: ignore[assignment]

    @property
    def _path(self) -> Path:
        return Path(os.environ[FILE_ENV])

    def _load(self) -> dict[str, str]:
        try:
            data: dict[str, str] = json.loads(self._path.read_text())
        except FileNotFoundError:
            return {}
        return data

    def get_password(self, service: str, username: str) -> str | None:
        return self._load().get(f"{service}\n{username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        data = self._load()
        data[f"{service}\n{username}"] = password
        self._path.write_text(json.dumps(data))

    def delete_password(self, service: str, username: str) -> None:
        data = self._load()
        data.pop(f"{service}\n{username}", None)
        self._path.write_text(json.dumps(data))
