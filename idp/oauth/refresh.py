"""`grant_type=refresh_token` (RFC 6749 §6): rotated on every use, 30 days from the sign-in.

Authlib's `RefreshTokenGrant` looks the token up (`authenticate_refresh_token`), checks the
scope, then `authenticate_user` → `issue_token` → `save_token` → `revoke_old_credential`. Done
step by step that is a read, then writes after the new pair exists, and a lost race between
two uses of one token would leave both pairs usable. Here the lookup, the checks, the minting
and the writes are one store transaction (`GrantRepository.rotate_refresh_token`, called from
`authenticate_user`); Authlib's `issue_token` mints the pair inside it, and the later steps
only hand that pair on.

- Reuse of a rotated token revokes the whole grant (RFC 9700 §4.14.2), except within
  `lifetimes.refresh_reuse_grace` where the same pair is returned again (see `sealing`) —
  only where that is safe: the token is DPoP-bound and the same key proves it, or the client
  authenticated. An unbound public client's grace is `public_refresh_reuse_grace` (0).
- A public client's grant bound to a DPoP key (RFC 9449 §5) refreshes only with a proof by
  that key: `invalid_grant` otherwise; a rotated bound token from another key revokes it.
- The grant expires 30 days after the sign-in, whatever the refreshes (the seed: "votre
  authentification est conservée pendant 30 jours"); a password change or a revoked grant
  ends it too (`invalid_grant`).
- Scope may be narrowed, never widened (`invalid_scope`); the next refresh token keeps the
  scope originally granted.
- With `openid`, a new ID token with the original `auth_time` (OIDC Core §12.2).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar

from authlib.oauth2.rfc6749 import InvalidGrantError, grants

from idp import audit
from idp.domain.client_authentication import ANY_CLIENT
from idp.oauth.bridge import Bridge
from idp.oauth.dpop import CURRENT_PROOF
from idp.oauth.id_token import OriginalSignIn, SageOpenIDCode
from idp.oauth.sealing import SealBroken, seal, unseal
from idp.oauth.tokens import TokenSubject
from idp.store.grants import Issued, Outcome, RefreshTokenState
from idp.store.records import ClientRecord, UserRecord, sha256_hex

if TYPE_CHECKING:
    from idp.oauth.server import SageAuthorizationServer

log = logging.getLogger("sageid.refresh")

# The members of a token response that a replay within the grace window gets again.
PAIR_MEMBERS = ("token_type", "access_token", "expires_in", "refresh_token", "scope")


def _subject(state: RefreshTokenState) -> TokenSubject:
    grant = state.grant
    return TokenSubject(
        state.user, grant.id, grant.auth_time, sid=grant.sid, claims=grant.claims, amr=grant.amr
    )


@dataclass(frozen=True)
class PresentedRefreshToken:
    """The token as presented; what it stands for is read in the rotation transaction."""

    value: str

    @cached_property
    def hash(self) -> str:
        return sha256_hex(self.value)

    def check_client(self, client: ClientRecord) -> bool:
        # Checked against the stored grant, inside the rotation transaction.
        return True


class RefreshedIDToken(SageOpenIDCode):
    """The ID token of a refresh: same key, claims and audience as at sign-in (§12.2)."""

    def __call__(self, grant: Any) -> None:
        grant.register_hook("after_create_token_response", self.process_token)

    def process_token(self, grant: Any, response: Any) -> Any:
        subject: TokenSubject = grant.request.subject
        grant.request.authorization_code = OriginalSignIn(subject.auth_time, subject.amr)
        return super().process_token(grant, response)


class RefreshTokenGrant(grants.RefreshTokenGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS: ClassVar[list[str]] = ANY_CLIENT
    INCLUDE_NEW_REFRESH_TOKEN = True
    server: SageAuthorizationServer
    _token: dict[str, Any]

    def authenticate_refresh_token(self, refresh_token: str) -> PresentedRefreshToken:
        return PresentedRefreshToken(refresh_token)

    def _validate_token_scope(self, token: Any) -> None:
        """Deferred to `_issue`, where the stored scope is known (one transaction)."""

    def authenticate_user(self, refresh_token: PresentedRefreshToken) -> UserRecord:
        settings = self.server.settings
        proof = CURRENT_PROOF.get()
        lifetimes = settings.lifetimes
        rotation = Bridge.await_store(
            self.server.store.grants.rotate_refresh_token,
            refresh_token.hash,
            client_id=self.request.client.client_id,
            now=self.server.clock.now(),
            grace=lifetimes.refresh_reuse_grace,
            issue=lambda state: self._issue(refresh_token, state),
            jkt=proof.jkt if proof is not None else None,
            unbound_grace=lifetimes.public_refresh_reuse_grace
            if self.request.client.is_public
            else lifetimes.refresh_reuse_grace,
        )
        state = rotation.state
        if rotation.outcome is Outcome.WRONG_KEY:
            raise InvalidGrantError(
                "The refresh token is bound to a DPoP key: send a proof signed with that key."
            )
        if rotation.outcome is Outcome.REUSED and state is not None:
            log.warning("refresh token reused: grant %s revoked", state.grant.id)
            if rotation.audited is not None:
                audit.observe(rotation.audited)
            self.request.reuse_detected = True
        if state is None or rotation.outcome not in (Outcome.ROTATED, Outcome.REPLAYED):
            raise InvalidGrantError("The refresh token is invalid, expired or revoked.")
        self.request.subject = _subject(state)
        if rotation.outcome is Outcome.REPLAYED:
            assert state.successor is not None
            try:
                self._token = unseal(refresh_token.value, refresh_token.hash, state.successor)
            except SealBroken as error:
                raise InvalidGrantError("The refresh token cannot be replayed.") from error
        return state.user

    def issue_token(self, user: UserRecord, refresh_token: PresentedRefreshToken) -> Any:
        """The pair minted inside the rotation transaction (or replayed from it)."""
        return dict(self._token)

    def save_token(self, token: dict[str, Any]) -> None:
        """Nothing left: the rotation transaction stored the new refresh token."""

    def revoke_old_credential(self, refresh_token: PresentedRefreshToken) -> None:
        """Nothing left: the rotation transaction retired the presented token."""

    def _issue(self, presented: PresentedRefreshToken, state: RefreshTokenState) -> Issued:
        """Mint the new pair from the stored state, inside the rotation transaction (on the
        event loop: plain computation, no I/O). Raises `invalid_scope` for a widened scope,
        and then nothing is written."""
        super()._validate_token_scope(state)
        subject = _subject(state)
        token: dict[str, Any] = super().issue_token(subject, state)
        self._token = token
        pair = {key: token[key] for key in PAIR_MEMBERS if key in token}
        return Issued(
            refresh_token_hash=sha256_hex(token["refresh_token"]),
            sealed_pair=seal(presented.value, presented.hash, pair),
        )
