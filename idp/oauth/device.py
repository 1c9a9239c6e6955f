"""Device authorization grant (RFC 8628): Authlib's endpoint and grant, on our store.

Authlib splits a poll into three hooks (find the credential, find the user's decision, decide
on slow_down). Here one poll is one store transaction (`DeviceRepository.poll`), so two
concurrent polls can't both redeem an approved code; `validate_device_credential` maps its
outcome to the RFC errors.
"""

from __future__ import annotations

import secrets
import uuid
from typing import TYPE_CHECKING, Any, ClassVar

from authlib.oauth2.rfc6749 import (
    AccessDeniedError,
    InvalidGrantError,
    UnauthorizedClientError,
)
from authlib.oauth2.rfc8628 import (
    AuthorizationPendingError,
    DeviceAuthorizationEndpoint,
    DeviceCodeGrant,
    ExpiredTokenError,
    SlowDownError,
)

from idp.domain.client_authentication import ANY_CLIENT
from idp.domain.device import PollOutcome, hash_user_code, new_user_code, normalise_user_code
from idp.oauth.bridge import Bridge
from idp.oauth.id_token import OriginalSignIn
from idp.oauth.tokens import IssuesToSubject, TokenSubject
from idp.store.devices import DevicePoll
from idp.store.records import ClientRecord, UserRecord
from shared.scopes import DEVICE_CODE_GRANT

if TYPE_CHECKING:
    from idp.oauth.server import SageAuthorizationServer


class SageDeviceAuthorizationEndpoint(DeviceAuthorizationEndpoint):  # type: ignore[misc]
    CLIENT_AUTH_METHODS: ClassVar[list[str]] = ANY_CLIENT
    server: SageAuthorizationServer

    def __init__(self, server: SageAuthorizationServer) -> None:
        super().__init__(server)
        self.EXPIRES_IN = server.settings.lifetimes.device_code
        self.INTERVAL = server.settings.lifetimes.device_poll_interval

    def authenticate_client(self, request: Any) -> ClientRecord:
        client: ClientRecord = super().authenticate_client(request)
        if not client.check_grant_type(DEVICE_CODE_GRANT):
            raise UnauthorizedClientError("The client is not registered for the device flow.")
        return client

    def get_verification_uri(self) -> str:
        return self.server.settings.url("/device")

    def generate_user_code(self) -> str:
        return new_user_code()

    def generate_device_code(self) -> str:
        return secrets.token_urlsafe(32)  # 256 bits

    def save_device_credential(
        self, client_id: str, scope: str | None, data: dict[str, Any]
    ) -> None:
        client = self.server.query_client(client_id)
        assert client is not None  # authenticated just before
        # No scope asked: the client's registered scopes (RFC 6749 §3.3 default).
        granted = client.get_allowed_scope(scope) if scope else client.scope
        normalised = normalise_user_code(data["user_code"])
        assert normalised is not None
        Bridge.await_store(
            self.server.store.devices.create,
            device_code=data["device_code"],
            user_code_hash=hash_user_code(self.server.keys.derive("user-codes"), normalised),
            client_id=client_id,
            scope=granted,
            grant_id=str(uuid.uuid4()),
            now=self.server.clock.now(),
            lifetime=self.EXPIRES_IN,
            interval=self.INTERVAL,
        )


class DeviceCodeGrantRecord:
    """A poll result in the shape Authlib's grant expects of a "device credential"."""

    def __init__(self, poll: DevicePoll) -> None:
        self.poll = poll

    def get_client_id(self) -> str:
        return self.poll.client_id

    def get_scope(self) -> str:
        return self.poll.scope

    def get_user_code(self) -> str:
        return ""

    def is_expired(self) -> bool:
        return self.poll.decision.outcome is PollOutcome.EXPIRED


class SageDeviceCodeGrant(IssuesToSubject, DeviceCodeGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS: ClassVar[list[str]] = ANY_CLIENT
    server: SageAuthorizationServer

    def authenticate_token_endpoint_client(self) -> ClientRecord:
        client: ClientRecord = super().authenticate_token_endpoint_client()
        self.request.client = client  # the poll below is keyed on the client too
        return client

    def query_device_credential(self, device_code: str) -> DeviceCodeGrantRecord:
        now = self.server.clock.now()
        poll = Bridge.await_store(
            self.server.store.devices.poll, device_code, self.request.client.client_id, now
        )
        if poll is None:
            raise InvalidGrantError("Unknown 'device_code'.")
        if poll.decision.outcome is PollOutcome.ALREADY_USED:
            raise InvalidGrantError("The 'device_code' was already redeemed.")
        return DeviceCodeGrantRecord(poll)

    def validate_device_credential(self, credential: DeviceCodeGrantRecord) -> UserRecord:
        poll = credential.poll
        outcome = poll.decision.outcome
        if outcome is PollOutcome.EXPIRED:
            raise ExpiredTokenError()
        if outcome is PollOutcome.DENIED:
            raise AccessDeniedError()
        if outcome is PollOutcome.SLOW_DOWN:
            raise SlowDownError(f"Poll at most every {poll.decision.interval} seconds.")
        if outcome is not PollOutcome.APPROVED or poll.user is None or poll.auth_time is None:
            raise AuthorizationPendingError()
        self.request.subject = TokenSubject(poll.user, poll.grant_id, poll.auth_time, amr=poll.amr)
        self.request.authorization_code = OriginalSignIn(poll.auth_time, poll.amr)
        return poll.user
