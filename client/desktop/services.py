"""The desktop app's `Services` over the public `client` API: the saved sign-in (token cache),
the two sign-in flows with cancellation, sign-out, and the submissions API.

Every method blocks (keyring, network, the browser's return): the presenter runs them in a
worker thread. Nothing here knows about windows.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlencode

import httpx
import platformdirs

from client import (
    AuthorizationRequest,
    BearerAuth,
    DeviceAuthorization,
    Identity,
    RelyingParty,
    SageIDError,
    SignInOutcome,
    SignInRequired,
    Submission,
    TokenCache,
    default_http_client,
    login_with_browser,
    login_with_device,
    submit,
)

from .seams import Cancellation, SessionExpired, SignInCancelled

logger = logging.getLogger("sageid.desktop")

RECORD_FILE_NAME: Final = "desktop.json"
# The portal's « Suivi des envois » page (seed, étape 4).
TRACKING_PATH: Final = "/portal"
BROWSER_TIMEOUT: Final = 300.0  # as long as the CLI waits for the browser


def default_record_path() -> Path:
    """`desktop.json` in the user state directory (`platformdirs`)."""
    return Path(platformdirs.user_state_dir("sageid", appauthor=False)) / RECORD_FILE_NAME


class MigrationRecord:
    """Which account this computer migrated, per provider and client: once its 30-day
    sign-in is over the assistant asks to sign in again (with the email filled in) instead
    of presenting the migration as new. Holds no secret: the email only.
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    def _read(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as error:
            logger.warning("Ignoring the unreadable %s: %s", self.path, error)
            return {}
        return data if isinstance(data, dict) else {}

    def _write(self, data: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(json.dumps(data, indent=1), encoding="utf-8")
        os.replace(temporary, self.path)

    @staticmethod
    def _key(issuer: str, client_id: str) -> str:
        return f"{issuer} {client_id}"

    def email(self, issuer: str, client_id: str) -> str | None:
        entry = self._read().get(self._key(issuer, client_id))
        email = entry.get("email") if isinstance(entry, dict) else None
        return email if isinstance(email, str) else None

    def signed_out(self, issuer: str, client_id: str) -> bool:
        """True if the user signed out here (rather than the sign-in running out)."""
        entry = self._read().get(self._key(issuer, client_id))
        return isinstance(entry, dict) and entry.get("signed_out") is True

    def remember(self, issuer: str, client_id: str, email: str) -> None:
        data = self._read()
        data[self._key(issuer, client_id)] = {"email": email}
        self._write(data)

    def mark_signed_out(self, issuer: str, client_id: str) -> None:
        """The user signed out: the computer stays migrated, the email stays for next time."""
        data = self._read()
        entry = data.get(self._key(issuer, client_id))
        if isinstance(entry, dict):
            data[self._key(issuer, client_id)] = {**entry, "signed_out": True}
            self._write(data)

    def forget(self, issuer: str, client_id: str) -> None:
        data = self._read()
        if data.pop(self._key(issuer, client_id), None) is not None:
            self._write(data)


def _abort_loopback(request: AuthorizationRequest) -> Callable[[], None]:
    """What cancels a browser sign-in: the error redirect a refusal would bring (RFC 6749
    §4.1.2.1), sent to our own loopback server, so its wait ends now rather than after five
    minutes with the port still open."""
    query = urlencode(
        {
            "error": "access_denied",
            "error_description": "cancelled in the application",
            "state": request.state,
            "iss": request.issuer,
        }
    )
    url = f"{request.redirect_uri}?{query}"

    def send() -> None:
        try:
            httpx.get(url, timeout=5, trust_env=False)
        except httpx.HTTPError as error:
            logger.debug("The cancelled sign-in's loopback server did not answer: %s", error)

    return lambda: threading.Thread(target=send, daemon=True).start()


class LibraryServices:
    """The app's side effects, through `relying_party` and `cache` (the user's token cache)."""

    def __init__(
        self,
        relying_party: RelyingParty,
        cache: TokenCache,
        record: MigrationRecord,
        *,
        open_browser: Callable[[str], object],
        language: str = "fr",
        http_factory: Callable[[], httpx.Client] = default_http_client,
        browser_timeout: float = BROWSER_TIMEOUT,
    ) -> None:
        self.relying_party = relying_party
        self.cache = cache
        self.record = record
        self._open_browser = open_browser
        self._language = language
        self._http_factory = http_factory
        self._browser_timeout = browser_timeout

    def restore(self) -> Identity:
        """The saved sign-in, offline; `SessionExpired` if this computer had migrated."""
        rp = self.relying_party
        try:
            entry = self.cache.find(rp.issuer, rp.client_id)
        except SignInRequired:
            email = self.record.email(rp.issuer, rp.client_id)
            if email is not None:
                reason = "signed_out" if self.record.signed_out(rp.issuer, rp.client_id) else None
                raise SessionExpired(email, reason or "expired") from None
            raise
        identity = Identity.from_claims(entry.claims)
        # Past 30 days only a still-fresh access token is left: the sign-in is over.
        if entry.usable_refresh_token(self.cache.clock.now()) is None:
            raise SessionExpired(identity.email or "")
        return identity

    def sign_in_with_browser(
        self, email: str, show_url: Callable[[str], None], cancellation: Cancellation
    ) -> Identity:
        """The browser flow with `email` as `login_hint` (seed, étape 2)."""
        self._choose_protection()
        try:
            outcome = login_with_browser(
                self.relying_party,
                self.cache,
                open_browser=self._open_browser,
                on_request=lambda request: cancellation.on_cancel(_abort_loopback(request)),
                show_url=show_url,
                login_hint=email or None,
                language=self._language,
                timeout=self._browser_timeout,
            )
        except SageIDError as error:
            if cancellation.cancelled:
                raise SignInCancelled() from error
            raise
        return self._completed(outcome, cancellation)

    def sign_in_with_device(
        self, show: Callable[[DeviceAuthorization], None], cancellation: Cancellation
    ) -> Identity:
        """The device flow (RFC 8628); polling stops as soon as `cancellation` is cancelled."""
        self._choose_protection()

        def sleep(seconds: float) -> None:
            if cancellation.wait(seconds):
                raise SignInCancelled()

        outcome = login_with_device(self.relying_party, self.cache, show=show, sleep=sleep)
        return self._completed(outcome, cancellation)

    def _choose_protection(self) -> None:
        # Now, so a missing keyring stops us before the user signs in, not after.
        _ = self.cache.protection

    def _completed(self, outcome: SignInOutcome, cancellation: Cancellation) -> Identity:
        rp = self.relying_party
        if cancellation.cancelled:  # It finished anyway: the user asked not to be signed in.
            rp.session(self.cache, subject=outcome.entry.subject).sign_out(rp.revoke)
            raise SignInCancelled()
        identity = Identity.from_claims(outcome.entry.claims)
        self.record.remember(rp.issuer, rp.client_id, identity.email or "")
        return identity

    def sign_out(self) -> None:
        """Forget the sign-in here and revoke it at the provider (best effort)."""
        rp = self.relying_party
        rp.session(self.cache).sign_out(rp.revoke)
        self.record.mark_signed_out(rp.issuer, rp.client_id)

    def submit(self, file: Path, kind: str, customer: str) -> Submission:
        """Send `file` through the submissions API as the signed-in user."""
        with self._http_factory() as http:
            http.auth = BearerAuth(self.relying_party.session(self.cache))
            return submit(http, file, kind, customer, issuer=self.relying_party.issuer)

    def tracking_url(self) -> str:
        return self.relying_party.issuer + TRACKING_PATH

    def close(self) -> None:
        self.relying_party.http.close()
