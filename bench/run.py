"""`make bench`: the provider pinned to one core (uvicorn, one worker, SQLite, its own temporary
data and keys), driven by wrk from the other core, 16 connections, 10 s a scenario. A bare
Starlette endpoint on the same stack gives the ceiling. Prints a table and writes it to
bench/results/. A benchmark, not a test: CI does not run it.

Beside req/s, the table gives the server's CPU time per request (all its threads and worker
processes, from /proc): other work on a shared machine lowers req/s but hardly that, and "req
per CPU-s" is what one dedicated core would serve. `--python-path DIR` puts DIR on the servers'
PYTHONPATH, e.g. to compare uvicorn with uvloop and httptools installed there.

`--database postgresql+asyncpg://...` runs it on PostgreSQL (that database is **emptied**: its
`public` schema dropped and migrated afresh); the CPU per request then includes the PostgreSQL
server processes serving that database (found by their process title in /proc, so the
database server must run on this machine), shown apart too, with the sessions opened during
the measure (none, once the pool is warm). `--workers N` runs N uvicorn workers (PostgreSQL
only, as `sageid-idp serve`); with more than one, neither the server nor wrk is pinned.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import anyio
import httpx
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from bench import wrk
from bench.ceiling import BUSY_US
from bench.dpop import BenchKey, bind, write_refresh_proofs, write_resource_proofs
from bench.seed import DESKTOP_ID, RS256_DESKTOP_ID, SERVICE_ID, SERVICE_SECRET, prepare, seed
from idp.execution import ExecutionMode, execution_mode
from idp.settings import Settings

RESULTS = Path(__file__).parent / "results"
SERVER_CORE, LOAD_CORE = 0, 1
# Refresh tokens minted per second of load: above any rate one core reaches.
TOKENS_PER_SECOND = 6_000
RS256_TOKENS_PER_SECOND = 3_000
# DPoP scenarios (issue 16): requests per second of load their proofs are signed for, beyond
# any rate one core reaches with a proof to verify per request.
DPOP_REFRESH_PER_SECOND = 2_500
DPOP_RESOURCE_PER_SECOND = 5_000


@dataclass(frozen=True)
class Scenario:
    name: str
    path: str
    method: str = "GET"
    body: str = ""
    authorization: str = ""
    script: str = "request.lua"
    min_rate: float = 0.0  # target req/s
    postgres_min_rate: float | None = None  # on PostgreSQL, when it differs (issue 13)
    min_ratio: float = 0.0  # target fraction of the ceiling
    client_id: str = DESKTOP_ID  # whose refresh tokens `refresh.lua` presents
    tokens: str = "es256"  # which minted refresh tokens: "es256" or "rs256" (see main)
    informational: bool = False  # measured for the record, no target
    dpop: str = ""  # "refresh" or "resource": proofs signed just before it runs (bench.dpop)


@dataclass(frozen=True)
class Row:
    scenario: Scenario
    measure: wrk.Measure
    cpu_us: float  # server CPU per request: what one dedicated core would allow, whatever else runs
    load: float  # the machine's 1-minute load average when the scenario ended
    database_us: float | None = None  # of which the PostgreSQL server processes
    new_sessions: int | None = None  # PostgreSQL sessions opened during the measure


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _cpu_of(pid: int) -> float:
    """User + system CPU time of one process, all threads (/proc/PID/stat); 0 once gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(FileNotFoundError):
            found += [int(child) for child in (task / "children").read_text().split()]
    return found


def database_backends(database: str) -> set[int]:
    """The PostgreSQL server processes serving `database` ("postgres: USER DB HOST(PORT) ...")."""
    backends = set()
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        with contextlib.suppress(FileNotFoundError, ProcessLookupError, PermissionError):
            title = cmdline.read_bytes().decode(errors="replace").replace("\0", " ")
            words = title.split()[1:]  # after "postgres:"; then maybe "CLUSTER:", USER, DB
            if words and words[0].endswith(":"):
                words = words[1:]
            if title.startswith("postgres: ") and len(words) > 1 and words[1] == database:
                backends.add(int(cmdline.parent.name))
    return backends


@dataclass(frozen=True)
class Server:
    url: str
    pid: int
    database: str | None = None  # PostgreSQL: the database whose server processes count too

    def processes(self) -> list[int]:
        """The server and its worker processes (uvicorn --workers N forks them)."""
        every, pending = [], [self.pid]
        while pending:
            pid = pending.pop()
            every.append(pid)
            pending += _children(pid)
        return every

    def cpu_seconds(self) -> float:
        return sum(_cpu_of(pid) for pid in self.processes())

    def database_cpu(self) -> dict[int, float]:
        if self.database is None:
            return {}
        return {pid: _cpu_of(pid) for pid in database_backends(self.database)}


@contextlib.contextmanager
def server(
    args: list[str],
    port: int,
    env: dict[str, str],
    log: Path,
    pin: bool,
    workers: int = 1,
    database: str | None = None,
) -> Iterator[Server]:
    # As `sageid-idp serve` runs the provider (bench/serve.py), without the access log.
    command = [sys.executable, "-m", "bench.serve", str(port), str(workers), *args]
    if pin:
        command = ["taskset", "-c", str(SERVER_CORE), *command]
    with log.open("w") as out:
        process = subprocess.Popen(command, env={**os.environ, **env}, stdout=out, stderr=out)  # noqa: S603
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(url + "/", timeout=1).status_code < 500:
                    break
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start; see {log}")
            time.sleep(0.2)
        yield Server(url, process.pid, database)  # taskset execs: the same process
    finally:
        process.terminate()
        process.wait(15)


def basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def access_token(url: str, refresh_token: str) -> str:
    """One real refresh (a spare token): its access token serves userinfo and introspection."""
    form = {"grant_type": "refresh_token", "refresh_token": refresh_token, "client_id": DESKTOP_ID}
    response = httpx.post(url + "/token", data=form, timeout=10)
    response.raise_for_status()
    token: str = response.json()["access_token"]
    return token


def measure(target: Server, scenario: Scenario, load: wrk.Load, warmup: int, tokens: Path) -> Row:
    url = target.url
    env = {
        "BENCH_METHOD": scenario.method,
        "BENCH_BODY": scenario.body,
        "BENCH_AUTHORIZATION": scenario.authorization,
        "BENCH_CLIENT_ID": scenario.client_id,
    }
    if warmup:
        warm = {**env, "BENCH_TOKENS": str(tokens.with_suffix(".warmup"))}
        wrk.run(url + scenario.path, load, scenario.script, warm, duration=warmup)
    cpu, database_before = target.cpu_seconds(), target.database_cpu()
    env["BENCH_TOKENS"] = str(tokens)
    result = wrk.run(url + scenario.path, load, scenario.script, env)
    requests = max(result.requests, 1)
    database_after = target.database_cpu()
    database_us = new_sessions = None
    if target.database is not None:
        # A session that ended during the measure is lost to this sum (and counted as new
        # sessions are: none are expected once the pool is warm).
        spent = sum(t - database_before.get(pid, 0.0) for pid, t in database_after.items())
        database_us = spent / requests * 1e6
        new_sessions = len(database_after.keys() - database_before.keys())
    cpu_us = (target.cpu_seconds() - cpu) / requests * 1e6 + (database_us or 0.0)
    rate = result.requests_per_second
    extra = f" (PostgreSQL {database_us:.0f}, {new_sessions} new sessions)" if database_us else ""
    print(f"  {scenario.name:28} {rate:9.0f} req/s {cpu_us:7.0f} µs CPU/req{extra}", flush=True)
    return Row(scenario, result, cpu_us, os.getloadavg()[0], database_us, new_sessions)


def split_tokens(path: Path, warmup: int, spare: int = 0) -> list[str]:
    """Set aside `spare` tokens (returned), the warm-up's in `<path>.warmup`, the rest in path."""
    tokens = path.read_text().split()
    path.with_suffix(".warmup").write_text("\n".join(tokens[spare : spare + warmup]))
    path.write_text("\n".join(tokens[spare + warmup :]))
    return tokens[:spare]


def uvicorn_stack(env: dict[str, str]) -> str:
    """What uvicorn's `auto` loop and http settings pick in the servers' environment."""
    probe = (
        "import importlib.util as u; print(all(u.find_spec(m) for m in ('uvloop', 'httptools')))"
    )
    found = subprocess.run(  # noqa: S603
        [sys.executable, "-c", probe], env={**os.environ, **env}, capture_output=True, text=True
    )
    return "uvloop + httptools" if found.stdout.strip() == "True" else "asyncio + h11"


def verdict(row: Row, ceiling: float) -> str:
    m, s = row.measure, row.scenario
    if s.informational:
        return "for the record" if not m.errors else "errors"
    misses = []
    postgres = row.database_us is not None
    min_rate = s.postgres_min_rate if postgres and s.postgres_min_rate is not None else s.min_rate
    if min_rate and m.requests_per_second < min_rate:
        misses.append(f"< {min_rate:.0f}/s")
    if s.min_ratio and m.requests_per_second < s.min_ratio * ceiling:
        misses.append(f"< {s.min_ratio:.1f}x")
    if m.p99_ms > 50:
        misses.append("p99 > 50 ms")
    if m.errors:
        misses.append("errors")
    if row.new_sessions:
        misses.append("new sessions")
    return "ok" if not misses else "MISS: " + ", ".join(misses)


def table(rows: list[Row], header: str) -> str:
    ceiling = rows[0].measure.requests_per_second
    postgres = any(row.database_us is not None for row in rows)
    database = " of which PostgreSQL | new sessions |" if postgres else ""
    lines = [
        header,
        "",
        "| scenario | req/s | p50 ms | p99 ms | errors | x ceiling | CPU µs/req |"
        f"{database} req per CPU-s | load | target |",
        "|---|---:|---:|---:|---:|---:|---:|"
        + ("---:|---:|" if postgres else "")
        + "---:|---:|---|",
    ]
    for row in rows:
        m = row.measure
        ratio = m.requests_per_second / ceiling
        columns = ""
        if postgres:
            columns = (
                f" {row.database_us:.0f} | {row.new_sessions} |"
                if row.database_us is not None
                else " | |"
            )
        lines.append(
            f"| {row.scenario.name} | {m.requests_per_second:,.0f} | {m.p50_ms:.2f} | "
            f"{m.p99_ms:.2f} | {m.errors} | {ratio:.2f} | {row.cpu_us:.0f} |{columns} "
            f"{1e6 / max(row.cpu_us, 1):,.0f} | {row.load:.1f} | {verdict(row, ceiling)} |"
        )
    return "\n".join(lines) + "\n"


def empty_postgres(url: str) -> None:
    """Drop and recreate the `public` schema of the bench's PostgreSQL database."""

    async def reset() -> None:
        engine = create_async_engine(url)
        try:
            async with engine.begin() as connection:
                await connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
                await connection.execute(text("CREATE SCHEMA public"))
        finally:
            await engine.dispose()

    anyio.run(reset)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", type=int, default=10, help="seconds per scenario")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--warmup", type=int, default=2, help="seconds before each measure")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument(
        "--python-path", default="", help="extra PYTHONPATH for the servers (to compare stacks)"
    )
    parser.add_argument(
        "--only", nargs="*", default=[], help="scenarios whose name contains one of these words"
    )
    parser.add_argument(
        "--database",
        default="",
        help="postgresql+asyncpg://... to bench PostgreSQL (EMPTIED first); default: SQLite",
    )
    parser.add_argument("--workers", type=int, default=1, help="uvicorn workers (PostgreSQL)")
    options = parser.parse_args()
    stack = {"PYTHONPATH": options.python_path} if options.python_path else {}
    postgres = bool(options.database) and (
        execution_mode(options.database) is ExecutionMode.SCALE_OUT
    )
    if options.workers > 1 and not postgres:
        parser.error("--workers 2 or more needs --database postgresql+asyncpg://...")

    pin = (
        options.workers == 1 and (os.cpu_count() or 1) >= 2 and shutil.which("taskset") is not None
    )
    if pin:
        os.sched_setaffinity(0, {LOAD_CORE})  # this process and wrk stay off the server's core
    else:
        print("fewer than 2 cores (or no taskset): server and load share the CPU", flush=True)
    load = wrk.Load(options.connections, options.duration, LOAD_CORE if pin else None)
    load_before = f"{os.getloadavg()[0]:.2f}"
    folder = Path(tempfile.mkdtemp(prefix="sageid-bench-"))
    port = free_port()
    settings = Settings(
        issuer=f"http://127.0.0.1:{port}",
        data_dir=folder / "var",
        key_dir=folder / "certs",
        database_url=options.database or f"sqlite+aiosqlite:///{folder / 'var' / 'sageid.db'}",
    )
    database = make_url(settings.database_url).database if postgres else None
    try:
        if postgres:
            empty_postgres(settings.database_url)
        print(f"seeding {folder} ...", flush=True)
        seconds = options.duration + options.warmup
        prepare(settings)
        seeded = anyio.run(
            seed, settings, TOKENS_PER_SECOND * seconds + 1, RS256_TOKENS_PER_SECOND * seconds
        )
        spare = split_tokens(seeded.refresh_tokens_file, TOKENS_PER_SECOND * options.warmup, 1)
        split_tokens(seeded.rs256_refresh_tokens_file, RS256_TOKENS_PER_SECOND * options.warmup)
        token_files = {
            "es256": seeded.refresh_tokens_file,
            "rs256": seeded.rs256_refresh_tokens_file,
        }
        # DPoP-bound refresh tokens (their grants bound to the bench key), set apart.
        dpop_key = BenchKey()
        pool = seeded.refresh_tokens_file.read_text().split()
        dpop_count = DPOP_REFRESH_PER_SECOND * seconds + 1
        dpop_tokens, pool = pool[:dpop_count], pool[dpop_count:]
        seeded.refresh_tokens_file.write_text("\n".join(pool))
        anyio.run(bind, settings, dpop_tokens, dpop_key.jkt)
        token_files["dpop"] = folder / "dpop-requests"

        rows = []
        log = folder / "ceiling.log"
        with server(["bench.ceiling:app"], free_port(), stack, log, pin) as target:
            ceiling = Scenario("ceiling (bare Starlette)", "/")
            rows.append(measure(target, ceiling, load, options.warmup, token_files["es256"]))
            if not options.only or "busy" in options.only:
                busy = Scenario(
                    f"Starlette POST spending {BUSY_US} µs of CPU",
                    "/busy",
                    "POST",
                    "grant_type=client_credentials",
                    basic(SERVICE_ID, SERVICE_SECRET),
                    informational=True,
                )
                rows.append(measure(target, busy, load, options.warmup, token_files["es256"]))
        env = {
            **stack,
            "SAGEID_ISSUER": settings.issuer,
            "DATABASE_URL": settings.database_url,
            "SAGEID_DATA_DIR": str(settings.data_dir),
            "SAGEID_KEY_DIR": str(settings.key_dir),
            # A session per concurrent request, per worker: none opened after the warm-up.
            "SAGEID_DATABASE_POOL_SIZE": str(options.connections),
        }
        factory = ["idp.asgi:app_factory", "--factory"]
        log = folder / "provider.log"
        with server(factory, port, env, log, pin, options.workers, database) as target:
            bearer = access_token(target.url, spare[0])
            token_url = target.url + "/token"
            bound = httpx.post(
                token_url,
                data={
                    "grant_type": "refresh_token",
                    "refresh_token": dpop_tokens[0],
                    "client_id": DESKTOP_ID,
                },
                headers={"DPoP": dpop_key.proof("POST", token_url)},
                timeout=10,
            )
            bound.raise_for_status()
            dpop_access = bound.json()["access_token"]
            service = basic(SERVICE_ID, SERVICE_SECRET)
            scenarios = [
                Scenario("discovery", "/.well-known/openid-configuration", min_ratio=0.8),
                Scenario("jwks", "/jwks.json", min_ratio=0.8),
                Scenario(
                    "token client_credentials",
                    "/token",
                    "POST",
                    "grant_type=client_credentials",
                    service,
                    min_rate=5000,
                ),
                Scenario(
                    "token refresh_token",
                    "/token",
                    script="refresh.lua",
                    min_rate=1500,
                    postgres_min_rate=1000,
                ),
                Scenario(
                    "token refresh_token, RS256 ID token",
                    "/token",
                    script="refresh.lua",
                    client_id=RS256_DESKTOP_ID,
                    tokens="rs256",
                    informational=True,
                ),
                Scenario(
                    "userinfo",
                    "/userinfo",
                    authorization=f"Bearer {bearer}",
                    min_rate=3000,
                    postgres_min_rate=4000,
                ),
                Scenario(
                    "token refresh_token, DPoP-bound",
                    "/token",
                    script="dpop.lua",
                    tokens="dpop",
                    informational=True,
                    dpop="refresh",
                ),
                Scenario(
                    "userinfo, DPoP",
                    "/userinfo",
                    authorization=f"DPoP {dpop_access}",
                    script="dpop.lua",
                    tokens="dpop",
                    informational=True,
                    dpop="resource",
                ),
                Scenario(
                    "introspection",
                    "/introspect",
                    "POST",
                    f"token={bearer}",
                    service,
                    min_rate=3000,
                ),
            ]
            for scenario in scenarios:
                if options.only and not any(word in scenario.name for word in options.only):
                    continue
                tokens_file = token_files[scenario.tokens]
                if scenario.dpop == "refresh":
                    unused = dpop_tokens[1:]
                    warm = DPOP_REFRESH_PER_SECOND * options.warmup
                    write_refresh_proofs(
                        tokens_file.with_suffix(".warmup"), unused[:warm], dpop_key, token_url
                    )
                    write_refresh_proofs(tokens_file, unused[warm:], dpop_key, token_url)
                elif scenario.dpop == "resource":
                    url, per_second = target.url + scenario.path, DPOP_RESOURCE_PER_SECOND
                    for path, count in (
                        (tokens_file.with_suffix(".warmup"), per_second * options.warmup),
                        (tokens_file, per_second * options.duration),
                    ):
                        write_resource_proofs(
                            path, count, dpop_key, scenario.method, url, dpop_access
                        )
                rows.append(measure(target, scenario, load, options.warmup, tokens_file))
    finally:
        if not options.keep:
            shutil.rmtree(folder, ignore_errors=True)

    stamp = time.strftime("%Y-%m-%d %H:%M:%S")
    backend = "PostgreSQL (provider + its server processes)" if postgres else "SQLite"
    workers = f"{options.workers} worker{'s' if options.workers > 1 else ''}"
    header = (
        f"# Sage ID bench, {stamp}\n\n{os.cpu_count()} cores; server pinned to core "
        f"{SERVER_CORE if pin else '-'} (uvicorn, {workers}, {uvicorn_stack(stack)}, {backend}), "
        "the desktop client registered for ES256 ID tokens as the demo one (the RS256 row is "
        "a client that kept the default), "
        f"wrk on core {LOAD_CORE if pin else '-'}: {options.connections} connections, "
        f"{options.duration} s per scenario after {options.warmup} s of warm-up. Python "
        f"{sys.version.split()[0]}. Load average before / after: {load_before} / "
        f"{os.getloadavg()[0]:.2f} (other work on the machine lowers req/s, not CPU µs/req)."
    )
    report = table(rows, header)
    print("\n" + report)
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{time.strftime('%Y%m%d-%H%M%S')}.md"
    path.write_text(report)
    print(f"written to {path}")


if __name__ == "__main__":
    main()
