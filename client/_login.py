"""Signing in end to end: the browser flow (RFC 8252) and the device flow (RFC 8628), each
from the first request to the stored cache entry. All user-facing I/O is injected
(opening a browser, showing a URL or a code, waiting), so the CLI, a desktop app and the
tests drive the same code.
"""

from __future__ import annotations

import functools
import logging
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

from ._auth import AccessTokenAuth
from ._authorization import (
    DEFAULT_SCOPE,
    AuthorizationRequest,
    build_authorization_request,
    parse_authorization_response,
)
from ._cache import TokenCache
from ._device import DeviceAuthorization, poll_device_token, start_device_authorization
from ._dpop import DPOP_TOKEN_TYPE
from ._entry import CacheEntry
from ._exceptions import CacheCorrupted, ProviderError, SageIDError
from ._identity import fetch_userinfo
from ._loopback import DEFAULT_CALLBACK_TIMEOUT, LoopbackServer
from ._par import push_authorization_request
from ._relying_party import RelyingParty
from ._session import Revoker
from ._sign_in import entry_from_sign_in
from ._tokens import TokenResponse, authorization_code_grant

logger = logging.getLogger("sageid.client")


@dataclass(frozen=True)
class SignInOutcome:
    """A completed sign-in: the stored entry, and the other accounts it signed out."""

    entry: CacheEntry
    signed_out: tuple[CacheEntry, ...] = ()


def store_sign_in(
    cache: TokenCache,
    entry: CacheEntry,
    revoke: Revoker | None = None,
    *,
    keep_other_accounts: bool = False,
) -> SignInOutcome:
    """Store `entry` as the one account of its issuer + client; return who was replaced.

    Earlier sign-ins of this client (the same account or another) are removed, and their
    refresh tokens revoked best effort: a replaced grant must not stay alive unseen for
    30 days. Each sign-in is its own grant at the provider, so this never touches `entry`.
    With `keep_other_accounts`, only the same account's earlier sign-in is replaced.
    """
    with cache.locked():
        try:
            earlier = [e for e in cache.entries() if e.matches(entry.issuer, entry.client_id)]
        except CacheCorrupted:
            earlier = []  # Moved aside and logged; the store below starts a fresh file.
        if keep_other_accounts:
            earlier = [e for e in earlier if e.subject == entry.subject]
        for other in earlier:
            if other.subject != entry.subject:
                cache.remove(other.issuer, other.client_id, other.subject)
        cache.store(entry)
    for old in earlier:
        if revoke is not None and old.refresh_token and old.refresh_token != entry.refresh_token:
            try:
                revoke(old.refresh_token)
            except SageIDError as error:
                logger.warning("Could not revoke the previous sign-in's refresh token: %s", error)
    return SignInOutcome(entry, tuple(e for e in earlier if e.subject != entry.subject))


def _check_cache_writable(cache: TokenCache) -> None:
    # Before the user spends a minute signing in, not after: creates the directory and lock.
    with cache.locked():
        pass


def _complete(
    relying_party: RelyingParty,
    cache: TokenCache,
    response: TokenResponse,
    nonce: str | None,
    keep_other_accounts: bool = False,
) -> SignInOutcome:
    entry = entry_from_sign_in(
        response,
        jwks=relying_party.jwks,
        issuer=relying_party.issuer,
        client_id=relying_party.client_id,
        nonce=nonce,
        now=relying_party.clock.now(),
        refresh_token_lifetime=relying_party.metadata.refresh_token_lifetime,
    )
    entry = _with_userinfo(relying_party, cache, entry)
    return store_sign_in(
        cache, entry, relying_party.revoke, keep_other_accounts=keep_other_accounts
    )


def _with_userinfo(relying_party: RelyingParty, cache: TokenCache, entry: CacheEntry) -> CacheEntry:
    # The user's name comes from the ID token, else from userinfo: many providers put only
    # `sub` in the ID token (OIDC Core §5.4 lets them). The ID token's claims win.
    endpoint = relying_party.metadata.userinfo_endpoint
    if isinstance(entry.claims.get("name"), str) or endpoint is None:
        return entry
    bound = entry.token_type == DPOP_TOKEN_TYPE
    try:
        proofs = relying_party.dpop_proofs(cache) if bound else None
        claims = fetch_userinfo(
            relying_party.http,
            endpoint,
            auth=AccessTokenAuth(entry.access_token, proofs),
            expected_subject=entry.subject,
        )
    except SageIDError as error:
        logger.info("No userinfo at sign-in (%s): the name stays unknown.", error)
        return entry
    return replace(entry, claims={**claims, **entry.claims})


def login_with_browser(
    relying_party: RelyingParty,
    cache: TokenCache,
    *,
    open_browser: Callable[[str], object],
    show_url: Callable[[str], None] | None = None,
    on_request: Callable[[AuthorizationRequest], None] | None = None,
    login_hint: str | None = None,
    create: bool = False,
    language: str = "fr",
    timeout: float = DEFAULT_CALLBACK_TIMEOUT,
    scope: str | Sequence[str] = DEFAULT_SCOPE,
    keep_other_accounts: bool = False,
) -> SignInOutcome:
    """Sign in through the system browser and a one-shot loopback redirect (RFC 8252).

    `on_request(request)` gets the request (its `redirect_uri` and `state`, which a pushed
    request's URL does not show), `show_url(url)` is called next (print it: the browser
    may not open), then
    `open_browser(url)` (typically `webbrowser.open`; it must not block until the
    redirect). Where the provider advertises PAR (RFC 9126), the request is pushed first
    and the URL carries only `client_id` and `request_uri`. `login_hint` pre-fills the
    email, `create=True` sends `prompt=create`,
    `language` sets `ui_locales` and the loopback page's language, and `scope` defaults
    to every Sage ID scope (`DEFAULT_SCOPE`); `keep_other_accounts` (see `store_sign_in`)
    adds this account beside the others instead of replacing them. Raises
    `CallbackTimeout` after `timeout` seconds, `AuthorizationDenied` if refused.
    """
    _check_cache_writable(cache)
    with LoopbackServer(language=language) as server:
        request: AuthorizationRequest = build_authorization_request(
            relying_party.metadata,
            relying_party.client_id,
            server.redirect_uri,
            scope=scope,
            login_hint=login_hint,
            prompt="create" if create else None,
            ui_locales=language,
        )
        if relying_party.metadata.pushed_authorization_request_endpoint is not None:
            request = push_authorization_request(
                relying_party.http, relying_party.metadata, request
            )
        if on_request is not None:
            on_request(request)
        if show_url is not None:
            show_url(request.url)
        open_browser(request.url)
        check = functools.partial(parse_authorization_response, request)
        code = server.wait_for_code(check, timeout=timeout)
    body = authorization_code_grant(
        code,
        redirect_uri=request.redirect_uri,
        code_verifier=request.code_verifier,
        client_id=relying_party.client_id,
    )
    response = relying_party.request_token(cache, body)
    return _complete(relying_party, cache, response, request.nonce, keep_other_accounts)


def login_with_device(
    relying_party: RelyingParty,
    cache: TokenCache,
    *,
    show: Callable[[DeviceAuthorization], None],
    on_wait: Callable[[float], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    scope: str | Sequence[str] = DEFAULT_SCOPE,
    keep_other_accounts: bool = False,
) -> SignInOutcome:
    """Sign in with the device flow (RFC 8628): for terminals, SSH sessions, no browser.

    `show(authorization)` displays the user code, `verification_uri` and
    `verification_uri_complete`; polling then honours `interval` and `slow_down`, calling
    `on_wait(seconds_left)` before each wait. Raises `DeviceCodeExpired` when the code
    runs out and `AuthorizationDenied` when the user refuses.
    """
    _check_cache_writable(cache)
    metadata = relying_party.metadata
    if metadata.device_authorization_endpoint is None:
        raise ProviderError(f"{relying_party.issuer} offers no device flow (no endpoint)")
    authorization = start_device_authorization(
        relying_party.http,
        metadata.device_authorization_endpoint,
        relying_party.client_id,
        now=relying_party.clock.now(),
        scope=scope,
    )
    show(authorization)
    response = poll_device_token(
        relying_party.http,
        metadata.token_endpoint,
        relying_party.client_id,
        authorization,
        clock=relying_party.clock,
        sleep=sleep,
        on_wait=on_wait,
        auth=relying_party.token_auth(cache),
    )
    # RFC 8628 has no nonce: the ID token is bound by the device code spent over TLS.
    return _complete(relying_party, cache, response, None, keep_other_accounts)


def prefers_device_flow(environ: Mapping[str, str], platform: str = sys.platform) -> bool:
    """True where a browser on this machine is unlikely: SSH sessions, Linux without a
    graphical session. Windows and macOS always have one.
    """
    if environ.get("SSH_CONNECTION") or environ.get("SSH_TTY"):
        return True
    if platform.startswith(("win", "darwin")):
        return False
    return not (environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY"))
