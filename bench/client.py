"""`python -m bench.client`: `sageid token` from a warm cache (a fresh access token already
cached), as a whole process the way a script calls it, 20 runs per way of keeping the cache;
prints the median and spread, then what the start-up spends its import time on
(`python -X importtime`). A benchmark, not a test: nothing here asserts a time.

The target (issue 19) is 150 ms on this machine for the keyring row: Python's own start-up
(`python -c pass`, printed first) is part of it and out of the client's hands. On a shared
machine the wall times swing with the load; the CPU column (user + system time of the
process) is the steadier figure.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ISSUER = "http://127.0.0.1:8000"
CLIENT_ID = "sage-desktop"
KEYRING_BACKEND = "bench.client_keyring.FileKeyring"


def _sageid() -> list[str]:
    script = Path(sys.executable).parent / "sageid"
    return [str(script)] if script.exists() else [sys.executable, "-m", "client.cli"]


def _seed_cache(cache_dir: Path, environ: Mapping[str, str], insecure: bool) -> None:
    """A signed-in entry whose access token is valid for an hour, stored as the CLI would."""
    from client import CacheEntry, TokenCache

    now = time.time()
    entry = CacheEntry(
        issuer=ISSUER,
        client_id=CLIENT_ID,
        subject="user-bench",
        access_token="at-" + "x" * 600,  # the size of a real RFC 9068 JWT
        access_token_expires_at=now + 3600,
        refresh_token="rt-bench",
        auth_time=now,
        claims={"sub": "user-bench", "name": "Bench", "email": "bench@example.com"},
        scope="openid profile email offline_access referencing edi",
        refresh_token_expires_at=now + 30 * 86_400,
    )
    cache = TokenCache(cache_dir, insecure_storage=insecure, environ=environ, warn_fallback=False)
    cache.store(entry)


def _run(command: list[str], environ: Mapping[str, str]) -> tuple[float, float]:
    """One run: its wall time and its CPU time (user + system), in ms."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run(command, env=dict(environ), capture_output=True, cwd=ROOT)  # noqa: S603
    wall = (time.perf_counter() - start) * 1000
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed: {result.stderr.decode()}")
    cpu = (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1000
    return wall, cpu


def _time_runs(
    command: list[str], environ: Mapping[str, str], runs: int
) -> list[tuple[float, float]]:
    _run(command, environ)  # once first: bytecode compiled and cached, files in the page cache
    return [_run(command, environ) for _ in range(runs)]


def _row(label: str, runs: list[tuple[float, float]]) -> str:
    wall = [w for w, _ in runs]
    cpu = [c for _, c in runs]
    quartiles = statistics.quantiles(wall, n=4)
    return (
        f"| {label} | {statistics.median(wall):.0f} | {min(wall):.0f} | "
        f"{quartiles[0]:.0f}–{quartiles[2]:.0f} | {statistics.median(cpu):.0f} |"
    )


def _import_costs(command: list[str], environ: Mapping[str, str], top: int) -> list[str]:
    # `python -X importtime` on the same command: each module's own time and its subtree's.
    script = command[1:] if command[0] == sys.executable else command
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-X", "importtime", *script],
        env=dict(environ),
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    rows: list[tuple[int, int, int, str]] = []  # own µs, subtree µs, depth, name
    for line in result.stderr.splitlines():
        parts = line.removeprefix("import time:").split("|")
        if len(parts) != 3 or not parts[0].strip().isdigit():
            continue
        name = parts[2]
        depth = (len(name) - len(name.lstrip()) - 1) // 2
        rows.append((int(parts[0]), int(parts[1]), depth, name.strip()))
    total = sum(subtree for _, subtree, depth, _ in rows if depth == 0)
    lines = [f"Imports at start-up: {total / 1000:.1f} ms; first levels, with all below them:"]
    children = sorted((r for r in rows if r[2] == 1), key=lambda r: -r[1])[:top]
    lines += [f"  {subtree / 1000:6.1f} ms  {name}" for _, subtree, _, name in children]
    lines.append("The costliest modules by their own time:")
    own = sorted(rows, key=lambda r: -r[0])[:top]
    lines += [f"  {mine / 1000:6.1f} ms  {name}" for mine, _, _, name in own]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--top", type=int, default=12, help="import rows to print")
    args = parser.parse_args()
    command = [*_sageid(), "token"]
    with tempfile.TemporaryDirectory(prefix="sageid-bench-") as folder:
        base = {
            # Bytecode cached as any installed package has it (this environment may turn
            # the cache off: then every run compiles the client from source).
            **{
                k: v
                for k, v in os.environ.items()
                if not k.startswith("SAGEID_") and k != "PYTHONDONTWRITEBYTECODE"
            },
            "SAGEID_ISSUER": ISSUER,
            "XDG_DATA_HOME": f"{folder}/data",
            "XDG_CONFIG_HOME": f"{folder}/config",
        }
        keyring_env = {
            **base,
            "PYTHON_KEYRING_BACKEND": KEYRING_BACKEND,
            "SAGEID_BENCH_KEYRING_FILE": f"{folder}/keyring.json",
            "PYTHONPATH": str(ROOT),
        }
        plain_env = {**base, "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
        passphrase_env = {**plain_env, "SAGEID_CACHE_PASSPHRASE": "correct horse battery"}
        ways = [
            ("keyring (a file backend standing in for the OS keyring)", keyring_env, [], False),
            # Written with --insecure-storage; read as it is, by `sageid token` alone.
            ("insecure storage (no keyring, plaintext file)", plain_env, [], True),
            ("SAGEID_CACHE_PASSPHRASE (scrypt, 128 MiB)", passphrase_env, [], False),
        ]
        print(f"`sageid token` from a warm cache, {args.runs} runs each (ms):\n")
        print("| cache kept | median | min | p25–p75 | CPU (user+sys), median |")
        print("|---|---:|---:|---:|---:|")
        baseline = _time_runs([sys.executable, "-c", "pass"], base, args.runs)
        print(_row("(Python start-up alone: `python -c pass`)", baseline))
        seeded = []
        for index, (label, environ, flags, insecure) in enumerate(ways):
            data = Path(folder) / f"data-{index}"
            environ = {**environ, "XDG_DATA_HOME": str(data)}
            seeded.append(environ)
            old = dict(os.environ)
            os.environ.update(environ)  # the seeding process resolves the same keyring
            try:
                _seed_cache(data / "sageid", environ, insecure)
            finally:
                os.environ.clear()
                os.environ.update(old)
            print(_row(label, _time_runs([*command, *flags], environ, args.runs)))
        print()
        print("\n".join(_import_costs(command, seeded[0], args.top)))


if __name__ == "__main__":
    main()
