"""The authorization code grant (RFC 6749 §4.1), Authlib's subclassed: the signed-in user
handed over by `/authorize`, and where codes are saved and redeemed (atomically, once)."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any, ClassVar

from authlib.oauth2.rfc6749 import grants

from idp.domain.client_authentication import ANY_CLIENT
from idp.oauth.bridge import Bridge
from idp.oauth.profiles import code_lifetime
from idp.oauth.tokens import IssuesToSubject, TokenSubject
from idp.store.records import AuthorizationCodeRecord, ClientRecord, UserRecord

if TYPE_CHECKING:
    from idp.oauth.server import SageAuthorizationServer


class AuthenticatedUser:
    """The signed-in user handed to Authlib at the authorization endpoint."""

    def __init__(
        self, user: UserRecord, auth_time: float, sid: str | None = None, amr: str = "pwd"
    ) -> None:
        self.user = user
        self.auth_time = auth_time
        self.sid = sid
        self.amr = amr

    def get_user_id(self) -> str:
        return self.user.id


class AuthorizationCodeGrant(IssuesToSubject, grants.AuthorizationCodeGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS: ClassVar[list[str]] = ANY_CLIENT
    server: SageAuthorizationServer

    def save_authorization_code(self, code: str, request: Any) -> None:
        signed_in: AuthenticatedUser = request.user
        data = request.payload.data
        now = self.server.clock.now()
        record = AuthorizationCodeRecord(
            client_id=request.client.client_id,
            user_id=signed_in.user.id,
            grant_id=str(uuid.uuid4()),
            redirect_uri=request.payload.redirect_uri or "",
            scope=request.scope,
            nonce=data.get("nonce"),
            code_challenge=data["code_challenge"],
            code_challenge_method=data["code_challenge_method"],
            auth_time=signed_in.auth_time,
            expires_at=now
            + code_lifetime(request.client, self.server.settings.lifetimes.authorization_code),
            sid=signed_in.sid,
            claims=getattr(request, "requested_claims", None),
            amr=signed_in.amr,
        )
        Bridge.await_store(self.server.store.codes.save, code, record)

    def query_authorization_code(self, code: str, client: ClientRecord) -> Any:
        now = self.server.clock.now()
        found = Bridge.await_store(self.server.store.codes.consume, code, client.client_id, now)
        if found is None:
            return None
        record, user, session_expires_at = found
        self.request.subject = TokenSubject(
            user,
            record.grant_id,
            record.auth_time,
            sid=record.sid,
            claims=record.claims,
            session_expires_at=session_expires_at,
            amr=record.amr,
        )
        return record

    def delete_authorization_code(self, authorization_code: Any) -> None:
        """Nothing to do: `query_authorization_code` consumed it atomically."""

    def authenticate_user(self, authorization_code: Any) -> UserRecord:
        subject: TokenSubject = self.request.subject
        return subject.user
