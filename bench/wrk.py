"""Running wrk pinned to its own core, and reading its report."""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

LUA = Path(__file__).parent / "lua"
UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


@dataclass(frozen=True)
class Load:
    connections: int
    duration: int
    core: int | None  # None: not pinned (a one-core machine)


@dataclass(frozen=True)
class Measure:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int
    requests: int


def _ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value).groups()  # type: ignore[union-attr]
    return float(number) * UNITS_MS[unit]


def parse(report: str) -> Measure:
    rate = re.search(r"Requests/sec:\s+([\d.]+)", report)
    p50 = re.search(r"^\s+50%\s+(\S+)", report, re.MULTILINE)
    p99 = re.search(r"^\s+99%\s+(\S+)", report, re.MULTILINE)
    total = re.search(r"(\d+) requests in", report)
    if not (rate and p50 and p99 and total):
        raise RuntimeError(f"unreadable wrk report:\n{report}")
    errors = 0
    if socket := re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", report
    ):
        errors += sum(int(n) for n in socket.groups())
    if non_2xx := re.search(r"Non-2xx or 3xx responses: (\d+)", report):
        errors += int(non_2xx.group(1))
    return Measure(
        float(rate.group(1)), _ms(p50.group(1)), _ms(p99.group(1)), errors, int(total.group(1))
    )


def run(
    url: str, load: Load, script: str, env: dict[str, str], duration: int | None = None
) -> Measure:
    command = ["wrk", "-t1", f"-c{load.connections}", f"-d{duration or load.duration}s"]
    command += ["--latency", "--timeout", "5s", "-s", str(LUA / script), url]
    if load.core is not None:
        command = ["taskset", "-c", str(load.core), *command]
    done = subprocess.run(  # noqa: S603 - fixed command line
        command,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=(duration or load.duration) + 30,
        check=True,
    )
    return parse(done.stdout)
