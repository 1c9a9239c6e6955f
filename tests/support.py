"""Test helpers: demo-like seed data and the browser steps of a sign-in, over HTTP."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import subprocess
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import anyio
import httpx
import pytest
from click.testing import CliRunner

from idp.cli import main
from idp.context import AppContext
from idp.demo import DEMO_DESKTOP, DEMO_PARTNER, DEMO_SERVICE
from idp.passwords import Passwords
from idp.settings import PasswordHashing, Settings
from idp.store import Store
from idp.store.records import ClientRecord

EMAIL = "marie.martin@example.com"
PASSWORD = "Boulangerie-Martin-2026"
NATIVE_ID = "desktop-test"
NATIVE_REDIRECT = "http://127.0.0.1/callback"
PARTNER_ID = "partner-test"
PARTNER_SECRET = "partner-test-secret"
PARTNER_REDIRECT = "https://partner.example.com/callback"
SERVICE_ID = "service-test"
SERVICE_SECRET = "service-test-secret"
# The demo's clients (idp/demo.py) under the tests' ids, secrets and redirect URIs; the
# desktop one keeps the RS256 default for its ID tokens.
TEST_CLIENTS = (
    replace(DEMO_DESKTOP, client_id=NATIVE_ID, name="Desktop test app", id_token_alg="RS256"),
    replace(
        DEMO_PARTNER,
        client_id=PARTNER_ID,
        name="Partner Payroll",
        secret=PARTNER_SECRET,
        redirect_uris=(PARTNER_REDIRECT,),
        post_logout_redirect_uris=("https://partner.example.com/",),
    ),
    replace(DEMO_SERVICE, client_id=SERVICE_ID, name="Service", secret=SERVICE_SECRET),
)


@dataclass(frozen=True)
class Seeded:
    user_id: str
    email: str = EMAIL
    password: str = PASSWORD


async def seed_into(store: Store, settings: Settings, now: float) -> Seeded:
    password_hash = await Passwords(settings.password_hashing).hash(PASSWORD)
    user = await store.users.add(
        email=EMAIL, name="Marie Martin", password_hash=password_hash, email_verified=True, now=now
    )
    for client in TEST_CLIENTS:
        await client.register(store, now)
    return Seeded(user_id=user.id)


async def seed(ctx: AppContext) -> Seeded:
    seeded = await seed_into(ctx.store, ctx.settings, ctx.clock.now())
    await ctx.store.client_cache.refresh()
    return seeded


async def seed_store(settings: Settings) -> Seeded:
    store = Store(settings.database_url)
    try:
        return await seed_into(store, settings, time.time())
    finally:
        await store.close()


def hashing_environment(hashing: PasswordHashing) -> dict[str, str]:
    """The variables that give `sageid-idp` these hashing parameters (tests use cheap ones)."""
    return {
        "SAGEID_ARGON2_MEMORY_KIB": str(hashing.memory_cost_kib),
        "SAGEID_ARGON2_TIME_COST": str(hashing.time_cost),
        "SAGEID_ARGON2_PARALLELISM": str(hashing.parallelism),
    }


def cli_environment(tmp_path: Path, database_url: str) -> dict[str, str]:
    """The environment of `sageid-idp` on a first run: the test's database, data and key
    folders it has yet to make (keys included), and the tests' cheap hashing."""
    from tests.conftest import TEST_HASHING  # read late: conftest imports this module

    return {
        "SAGEID_DATA_DIR": str(tmp_path / "var"),
        "SAGEID_KEY_DIR": str(tmp_path / "certs"),
        "DATABASE_URL": database_url,
        **hashing_environment(TEST_HASHING),
    }


def settings_environment(settings: Settings) -> dict[str, str]:
    """The environment that makes `sageid-idp` (the CLI, or a server process) run with these
    settings: their issuer, database, folders and hashing."""
    return {
        "SAGEID_ISSUER": settings.issuer,
        "DATABASE_URL": settings.database_url,
        "SAGEID_DATA_DIR": str(settings.data_dir),
        "SAGEID_KEY_DIR": str(settings.key_dir),
        **hashing_environment(settings.password_hashing),
    }


def cli_with_settings(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> Settings:
    """Make the CLI, invoked in this process without an `env`, run with these settings (the
    ones the test's app and store use)."""
    for name, value in settings_environment(settings).items():
        monkeypatch.setenv(name, value)
    return settings


def run_cli(env: dict[str, str], *args: str, stdin: str | None = None) -> tuple[int, str]:
    """`sageid-idp ARGS` in this process under `env`: its exit code and output."""
    result = CliRunner().invoke(main, list(args), env=env, input=stdin)
    return result.exit_code, result.output


def wait_until_serving(
    issuer: str, process: subprocess.Popen[bytes], log: Path | None = None
) -> None:
    """Wait (30 s at most) until the provider started as `process` publishes its keys at
    `issuer`; fail at once if the process ends, showing its `log` when there is one."""
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{issuer}/jwks.json", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        failed = process.poll() is not None or time.monotonic() >= deadline
        assert not failed, f"no provider at {issuer}: " + (log.read_text() if log else "")
        time.sleep(0.1)


def stored_client(settings: Settings, client_id: str) -> ClientRecord:
    """The client as the CLI (another process, in effect) left it in the settings' database;
    it must be there."""

    async def read() -> ClientRecord | None:
        store = Store(settings.database_url)
        try:
            return await store.clients.get(client_id)
        finally:
            await store.close()

    client = anyio.run(read)
    assert client is not None, f"no client {client_id}"
    return client


def seeded_for_serving(
    tmp_path: Path, database_url: str, key_template: Path
) -> tuple[Settings, int]:
    """Settings for a provider about to be served on a free loopback port (their issuer),
    with the seed data already in their database: the settings and the port."""
    from tests.conftest import free_port, make_settings  # read late: conftest imports this

    port = free_port()
    issuer = f"http://127.0.0.1:{port}"
    settings = make_settings(tmp_path, database_url, key_template, issuer=issuer)
    anyio.run(seed_store, settings)
    return settings, port


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    return verifier, challenge.rstrip(b"=").decode()


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF token in the page"
    return found.group(1)


def query_of(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def authorize_params(
    *,
    client_id: str = NATIVE_ID,
    redirect_uri: str = NATIVE_REDIRECT,
    scope: str = "openid profile email offline_access",
    challenge: str | None = None,
    **extra: str,
) -> dict[str, str]:
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "scope": scope,
        "state": secrets.token_urlsafe(8),
        "nonce": secrets.token_urlsafe(8),
    }
    if challenge is not None:
        params.update(code_challenge=challenge, code_challenge_method="S256")
    params.update(extra)
    return params


def pkce_authorize_params(**extra: str) -> tuple[str, dict[str, str]]:
    """A code flow's first step as every client here takes it: `authorize_params(**extra)`
    with a fresh S256 challenge (PKCE is required, RFC 7636), and the verifier that will
    redeem the code."""
    verifier, challenge = pkce_pair()
    return verifier, authorize_params(challenge=challenge, **extra)


async def sign_in(
    http: httpx.AsyncClient,
    email: str = EMAIL,
    password: str = PASSWORD,
    following: str = "/account",
) -> httpx.Response:
    """The email-first sign-in: the email page, then the password page; returns the answer to
    the password (a 303 to `following` when it is right)."""
    page = await http.get("/signin", params={"next": following})
    step = await http.post(
        "/signin", data={"csrf_token": csrf_of(page.text), "email": email, "next": following}
    )
    assert 'action="/signin/password"' in step.text, step.text
    return await http.post(
        "/signin/password",
        data={
            "csrf_token": csrf_of(step.text),
            "email": email,
            "password": password,
            "next": following,
        },
    )


async def authorization_code(
    http: httpx.AsyncClient, params: dict[str, str], *, email: str = EMAIL, password: str = PASSWORD
) -> httpx.Response:
    """Follow /authorize through the sign-in page; return the final redirect to the client."""
    response = await http.get("/authorize", params=params)
    if response.status_code == 303 and response.headers["location"].startswith("/signin"):
        following = query_of(response.headers["location"])["next"]
        signed = await sign_in(http, email, password, following)
        assert signed.status_code == 303, signed.text
        response = await http.get(signed.headers["location"])
    return response


def redeem_form(code: str, verifier: str, /, **change: str | None) -> dict[str, str]:
    """The token request that redeems an authorization code with its PKCE verifier (RFC 6749
    §4.1.3, RFC 7636 §4.5), from the desktop client unless `change` says otherwise: a field
    set to None is left out (`client_id=None` for a client that authenticates)."""
    form: dict[str, str | None] = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": NATIVE_REDIRECT,
        "client_id": NATIVE_ID,
        "code_verifier": verifier,
        **change,
    }
    return {name: value for name, value in form.items() if value is not None}


def refresh_form(refresh_token: str, **change: str | None) -> dict[str, str]:
    """The token request that refreshes (RFC 6749 §6), from the desktop client unless `change`
    says otherwise: a field set to None is left out (`client_id=None` for a client that
    authenticates)."""
    form: dict[str, str | None] = {
        "grant_type": "refresh_token",
        "refresh_token": refresh_token,
        "client_id": NATIVE_ID,
        **change,
    }
    return {name: value for name, value in form.items() if value is not None}


async def redeem_code(
    http: httpx.AsyncClient, code: str, verifier: str, /, **change: str | None
) -> dict[str, Any]:
    """The tokens `code` is redeemed for (see `redeem_form`); the redemption must work."""
    response = await http.post("/token", data=redeem_form(code, verifier, **change))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def issued_code(
    http: httpx.AsyncClient, *, email: str = EMAIL, password: str = PASSWORD, **extra: str
) -> tuple[str, str]:
    """The code issued for a fresh PKCE request (`pkce_authorize_params(**extra)`), signing
    in through the pages when needed, and its verifier."""
    verifier, params = pkce_authorize_params(**extra)
    response = await authorization_code(http, params, email=email, password=password)
    assert response.status_code in (302, 303), response.text
    return query_of(response.headers["location"])["code"], verifier


def assert_oauth_error(
    response: httpx.Response,
    status: int,
    error: str,
    *,
    description: str | None = None,
    challenge: str | None = None,
) -> dict[str, object]:
    """An RFC 6749 §5.2 error body, as the one handler renders it (`idp.web.oauth_response`):
    the status, JSON with the code and maybe a description (the exact one when given), never
    cached, never a redirect; with `challenge`, the `WWW-Authenticate` header starts with it
    (RFC 6750 §3, RFC 9449 §7.1). Returns the body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json"), response.headers
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["pragma"] == "no-cache"
    assert "location" not in response.headers
    body: dict[str, object] = response.json()
    assert body["error"] == error, body
    assert isinstance(body.get("error_description", ""), str), body
    if description is not None:
        assert body.get("error_description") == description, body
    if challenge is not None:
        assert response.headers["www-authenticate"].startswith(challenge), response.headers
    return body
