"""The client library with DPoP (RFC 9449) and PAR (RFC 9126) against the real provider,
which advertises both: the request pushed, the tokens bound to the installation's key
(a refresh only passes with its proof), resource calls with proofs, server nonces.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from client import (
    BearerAuth,
    OAuthError,
    RelyingParty,
    TokenCache,
    fetch_userinfo,
    installation_key,
    list_submissions,
    refresh_token_grant,
    request_token,
)
from tests.conftest import LiveServer, seed_with_demo_customers, serving
from tests.support import EMAIL, NATIVE_ID

from .drivers import (
    CUSTOMER_CODE,
    PushedRequests,
    ShiftedClock,
    browser_sign_in,
    only_pushed_reference,
    sign_in_with_device,
)
from .test_live_provider import clock, http

__all__ = ["clock", "http"]  # the fixtures: the wall clock moved on demand, an HTTP client


@pytest.fixture
def nonce_provider(tmp_path: Path, database_url: str, key_template: Path) -> Iterator[LiveServer]:
    """The real provider requiring server nonces in every proof (SAGEID_DPOP_NONCE=1)."""
    with serving(
        tmp_path, database_url, key_template, seed_with=seed_with_demo_customers, dpop_nonce=True
    ) as server:
        yield server


def bound_key(provider: LiveServer, access_token: str) -> str:
    keys = KeySet(list(provider.ctx.keys.verifying.values()))
    jkt: str = jwt.decode(access_token, keys).claims["cnf"]["jkt"]
    return jkt


def test_browser_sign_in_pushed_then_bound_tokens_refresh_and_resource_calls(
    live_provider: LiveServer, http: httpx.Client, tmp_path: Path, clock: ShiftedClock
) -> None:
    pushed = PushedRequests(http)
    relying_party = RelyingParty(http, live_provider.url, NATIVE_ID, clock=clock)
    cache = TokenCache(tmp_path / "cache", clock=clock)
    outcome, browser = browser_sign_in(relying_party, cache)

    # PAR: the browser got client_id + request_uri only; the request went to /par.
    [url] = browser.urls
    assert only_pushed_reference(url, NATIVE_ID)
    [form] = pushed.forms
    assert form["login_hint"] == EMAIL and form["code_challenge_method"] == "S256"
    assert form["redirect_uri"].startswith("http://127.0.0.1:") and form["ui_locales"] == "en"

    # DPoP: the tokens are bound to this installation's key.
    entry = outcome.entry
    proofs = relying_party.dpop_proofs(cache)
    assert proofs is not None and entry.token_type == "DPoP"
    assert bound_key(live_provider, entry.access_token) == proofs.thumbprint
    assert entry.claims["name"] == "Marie Martin"

    # Resource calls with proofs: userinfo, then the submissions API.
    session = relying_party.session(cache)
    userinfo = relying_party.metadata.userinfo_endpoint
    assert userinfo is not None
    auth = BearerAuth(session)
    assert fetch_userinfo(http, userinfo, auth=auth, expected_subject=entry.subject)
    bearer = http.get(userinfo, headers={"Authorization": f"Bearer {entry.access_token}"})
    assert bearer.status_code == 401  # bound: never as a bearer token
    with httpx.Client(auth=auth, timeout=10) as api:
        page = list_submissions(api, issuer=live_provider.url, customer=CUSTOMER_CODE)
    assert page.items == ()

    # A refresh: the provider takes the bound refresh token only with the key's proof.
    clock.shift = entry.access_token_expires_at - clock.now() - 30
    fresh = session.fresh_entry()
    assert fresh.access_token != entry.access_token and fresh.token_type == "DPoP"
    assert fresh.refresh_token != entry.refresh_token  # rotated
    assert bound_key(live_provider, fresh.access_token) == proofs.thumbprint
    claims = fetch_userinfo(http, userinfo, auth=auth, expected_subject=entry.subject)
    assert claims["email"] == EMAIL

    # The same refresh token without a proof is refused (RFC 9449 §5).
    assert fresh.refresh_token is not None
    body = refresh_token_grant(fresh.refresh_token, client_id=NATIVE_ID)
    endpoint = relying_party.metadata.token_endpoint
    with pytest.raises(OAuthError) as refused:
        request_token(http, endpoint, body, now=clock.now())
    assert refused.value.error == "invalid_grant"


def test_the_installation_key_is_sealed_on_disk_and_reused(
    live_provider: LiveServer, http: httpx.Client, tmp_path: Path, clock: ShiftedClock
) -> None:
    first = RelyingParty(http, live_provider.url, NATIVE_ID, clock=clock)
    cache = TokenCache(tmp_path / "cache", clock=clock)
    sign_in_with_device(first, cache)
    [key_file] = (tmp_path / "cache").glob("*.secret")
    envelope = json.loads(key_file.read_text())
    private = installation_key(cache).as_dict(private=True)
    assert envelope["protection"] == "keyring"  # the token cache's own protection
    assert str(private["d"]) not in key_file.read_text() and '"d"' not in key_file.read_text()

    # The next run (new objects on the same folder): the same key, and the bound refresh
    # token still refreshes, which it only does with that key's proofs.
    second = RelyingParty(http, live_provider.url, NATIVE_ID, clock=clock)
    again = TokenCache(tmp_path / "cache", clock=clock)
    proofs = second.dpop_proofs(again)
    assert proofs is not None and proofs.thumbprint == installation_key(cache).thumbprint()
    entry = again.find(live_provider.url, NATIVE_ID)
    clock.shift = entry.access_token_expires_at - clock.now() - 30
    fresh = second.session(again).fresh_entry()
    assert fresh.access_token != entry.access_token
    assert bound_key(live_provider, fresh.access_token) == proofs.thumbprint
    assert list((tmp_path / "cache").glob("*.secret")) == [key_file]


def test_nonce_challenges_are_answered_once_and_remembered(
    nonce_provider: LiveServer, http: httpx.Client, tmp_path: Path, clock: ShiftedClock
) -> None:
    challenges: list[tuple[str, int]] = []

    def record(response: httpx.Response) -> None:
        if "dpop-nonce" in response.headers and response.status_code in (400, 401):
            challenges.append((response.request.url.path, response.status_code))

    http.event_hooks["response"].append(record)
    relying_party = RelyingParty(http, nonce_provider.url, NATIVE_ID, clock=clock)
    cache = TokenCache(tmp_path / "cache", clock=clock)
    sign_in_with_device(relying_party, cache)  # its first poll is challenged, then retried
    assert challenges == [("/token", 400)]
    proofs = relying_party.dpop_proofs(cache)
    assert proofs is not None and proofs.nonces  # remembered for the next proofs

    # The userinfo call at sign-in carried the remembered nonce: no new challenge. A
    # resource server's challenge (401) when the client has none, then the retry.
    session = relying_party.session(cache)
    entry = session.entry()
    userinfo = f"{nonce_provider.url}/userinfo"
    proofs.nonces.clear()
    claims = fetch_userinfo(http, userinfo, auth=BearerAuth(session), expected_subject=None)
    assert claims["sub"] == entry.subject
    assert challenges[1:] == [("/userinfo", 401)]
    proofs.nonces.clear()
    with httpx.Client(auth=BearerAuth(session), timeout=10) as api:
        api.event_hooks["response"].append(record)
        list_submissions(api, issuer=nonce_provider.url, customer=CUSTOMER_CODE)
    assert challenges[2:] == [("/api/v1/submissions", 401)]

    # A refresh without a nonce: challenged at the token endpoint, retried, bound.
    proofs.nonces.clear()
    clock.shift = entry.access_token_expires_at - clock.now() - 30
    fresh = session.fresh_entry()
    assert fresh.access_token != entry.access_token and fresh.token_type == "DPoP"
    assert challenges[3:] == [("/token", 400)]
