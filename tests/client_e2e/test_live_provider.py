"""The client library against the real provider (uvicorn on a loopback port): browser flow
through the real forms, device flow approved from another thread, then refresh, then
sign-out with the refresh token revoked at the provider.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from client import (
    AccessTokenAuth,
    AuthorizationDenied,
    OAuthError,
    RelyingParty,
    SignInRequired,
    TokenCache,
    login_with_browser,
    refresh_token_grant,
    request_token,
)
from tests.conftest import LiveServer
from tests.support import EMAIL, NATIVE_ID

from .drivers import (
    FormBrowser,
    ShiftedClock,
    browser_sign_in,
    introspect,
    only_pushed_reference,
    sign_in_with_device,
)


@pytest.fixture
def clock() -> ShiftedClock:
    return ShiftedClock()


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10) as client:
        yield client


@pytest.fixture
def relying_party(
    live_provider: LiveServer, http: httpx.Client, clock: ShiftedClock
) -> RelyingParty:
    return RelyingParty(http, live_provider.url, NATIVE_ID, clock=clock)


@pytest.fixture
def cache(tmp_path: Path, clock: ShiftedClock) -> TokenCache:
    return TokenCache(tmp_path / "cache", clock=clock)


def userinfo(relying_party: RelyingParty, cache: TokenCache, access_token: str) -> httpx.Response:
    """GET userinfo with `access_token` as the client sends it (DPoP-bound here)."""
    endpoint = relying_party.metadata.userinfo_endpoint
    assert endpoint is not None
    auth = AccessTokenAuth(access_token, relying_party.dpop_proofs(cache))
    return relying_party.http.get(endpoint, auth=auth)


def test_browser_flow_through_the_real_forms(
    relying_party: RelyingParty, cache: TokenCache
) -> None:
    outcome, browser = browser_sign_in(relying_party, cache)
    [url] = browser.urls
    assert only_pushed_reference(url, NATIVE_ID)  # the request itself went to /par
    [page] = browser.callback_pages
    assert page.status_code == 200 and "Signed in" in page.text
    entry = outcome.entry
    assert entry.claims["email"] == EMAIL and entry.refresh_token
    assert cache.find(relying_party.issuer, NATIVE_ID) == entry
    assert userinfo(relying_party, cache, entry.access_token).json()["sub"] == entry.subject


def test_signing_in_again_revokes_the_replaced_grant(
    live_provider: LiveServer, relying_party: RelyingParty, cache: TokenCache
) -> None:
    browser = FormBrowser()
    try:
        first = login_with_browser(relying_party, cache, open_browser=browser, timeout=30).entry
        second = login_with_browser(relying_party, cache, open_browser=browser, timeout=30).entry
    finally:
        browser.join()
    assert first.refresh_token and second.refresh_token
    assert introspect(live_provider.url, first.refresh_token) == {"active": False}
    assert introspect(live_provider.url, second.refresh_token)["active"] is True


def test_device_flow_then_refresh_then_sign_out(
    live_provider: LiveServer, relying_party: RelyingParty, cache: TokenCache, clock: ShiftedClock
) -> None:
    outcome, shown = sign_in_with_device(relying_party, cache)
    entry = outcome.entry
    assert shown[0].verification_uri_complete is not None
    assert entry.claims["email"] == EMAIL and entry.refresh_token

    # Refresh: the client's clock says the access token has 30 s left (< the 60 s margin).
    session = relying_party.session(cache)
    assert session.get_access_token() == entry.access_token
    clock.shift = entry.access_token_expires_at - clock.now() - 30
    fresh = session.get_access_token()
    assert fresh != entry.access_token
    assert userinfo(relying_party, cache, fresh).json()["email"] == EMAIL
    refreshed = cache.find(relying_party.issuer, NATIVE_ID)
    assert refreshed.refresh_token and refreshed.refresh_token != entry.refresh_token  # rotated
    assert refreshed.auth_time == entry.auth_time  # the 30 days still count from the sign-in
    assert introspect(live_provider.url, entry.refresh_token) == {"active": False}
    assert introspect(live_provider.url, refreshed.refresh_token)["active"] is True

    # Sign-out: the entry is gone and the provider has revoked the refresh token.
    signed_out = session.sign_out(relying_party.revoke)
    assert signed_out is not None and signed_out.refresh_token == refreshed.refresh_token
    with pytest.raises(SignInRequired):
        session.get_access_token()
    assert introspect(live_provider.url, refreshed.refresh_token) == {"active": False}
    body = refresh_token_grant(refreshed.refresh_token, client_id=NATIVE_ID)
    with pytest.raises(OAuthError) as refused:
        request_token(relying_party.http, relying_party.metadata.token_endpoint, body, now=0)
    assert refused.value.error == "invalid_grant"
    assert userinfo(relying_party, cache, fresh).status_code == 401  # the grant went with it


def test_device_flow_denied(
    live_provider: LiveServer, relying_party: RelyingParty, cache: TokenCache
) -> None:
    with pytest.raises(AuthorizationDenied):
        sign_in_with_device(relying_party, cache, decision="deny")
    assert cache.entries() == []
