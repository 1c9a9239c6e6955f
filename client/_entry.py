"""One cache entry: the tokens, `auth_time` and claims of one signed-in account."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from ._tokens import TokenResponse

# DESIGN.md §3: Sage ID's refresh token lives 30 days from the sign-in, never extended by
# rotation; it says so in its metadata (`refresh_token_lifetime`). Other providers may say
# it in the token response, or not at all: then the end of the sign-in is unknown and only
# the provider's refusal ends it. Where known, the client enforces it too, so a stolen
# cache file ages out.
REFRESH_TOKEN_LIFETIME: Final = 30 * 24 * 3600


def _auth_time(claims: Mapping[str, Any], now: float) -> float:
    value = claims.get("auth_time")
    if isinstance(value, int | float) and not isinstance(value, bool):
        # Never later than now: the 30 days can only be counted short, not long.
        return min(float(value), now)
    return now


@dataclass(frozen=True)
class CacheEntry:
    """The tokens and identity of one signed-in account."""

    issuer: str
    client_id: str
    subject: str
    access_token: str = field(repr=False)
    access_token_expires_at: float
    refresh_token: str | None = field(repr=False)
    auth_time: float
    id_token: str | None = field(default=None, repr=False)
    claims: dict[str, Any] = field(default_factory=dict, repr=False)
    scope: str | None = None
    # When the refresh token (so the sign-in) ends; `None` when the provider did not say.
    refresh_token_expires_at: float | None = None
    # "DPoP": the access token is bound to this installation's key (RFC 9449) and goes out
    # as `Authorization: DPoP` with a proof; entries written before DPoP are bearer.
    token_type: str = "Bearer"

    @classmethod
    def from_sign_in(
        cls,
        issuer: str,
        client_id: str,
        response: TokenResponse,
        claims: Mapping[str, Any],
        *,
        now: float,
        refresh_token_lifetime: float | None = None,
    ) -> CacheEntry:
        """Build a fresh sign-in's entry from its token response and validated ID token claims.

        The sign-in ends when the token response says (`refresh_token_expires_in`), else
        `refresh_token_lifetime` (the provider's metadata) after `auth_time`, else unknown.
        """
        subject = claims.get("sub")
        if not isinstance(subject, str) or not subject:
            raise ValueError("the ID token claims lack 'sub'")
        auth_time = _auth_time(claims, now)
        ends = response.refresh_token_expires_at
        if ends is None and refresh_token_lifetime is not None:
            ends = auth_time + refresh_token_lifetime
        return cls(
            issuer=issuer,
            client_id=client_id,
            subject=subject,
            access_token=response.access_token,
            access_token_expires_at=response.expires_at,
            refresh_token=response.refresh_token,
            auth_time=auth_time,
            id_token=response.id_token,
            claims=dict(claims),
            scope=response.scope,
            refresh_token_expires_at=ends if response.refresh_token else None,
            token_type=response.token_type,
        )

    def access_token_fresh(self, now: float, margin: float) -> bool:
        """True if the access token is still valid for more than `margin` seconds."""
        return now + margin < self.access_token_expires_at

    def usable_refresh_token(self, now: float) -> str | None:
        """The refresh token, unless absent or past the end of the sign-in (when known)."""
        ends = self.refresh_token_expires_at
        return self.refresh_token if ends is None or now < ends else None

    def refreshed(self, response: TokenResponse, claims: Mapping[str, Any] | None) -> CacheEntry:
        """Return the entry after a refresh; `auth_time` (and so the 30-day limit) is kept.

        RFC 6749 §6: a response without a new refresh token leaves the old one valid.
        """
        return replace(
            self,
            access_token=response.access_token,
            access_token_expires_at=response.expires_at,
            refresh_token=response.refresh_token or self.refresh_token,
            id_token=response.id_token or self.id_token,
            claims=self._renewed_claims(claims),
            scope=response.scope or self.scope,
            token_type=response.token_type,
        )

    def _renewed_claims(self, claims: Mapping[str, Any] | None) -> dict[str, Any]:
        # The new ID token's claims replace the old, but a name only userinfo gave at sign-in
        # (many providers' ID tokens carry none) is kept.
        if claims is None:
            return self.claims
        renewed = dict(claims)
        if "name" not in renewed and "name" in self.claims:
            renewed["name"] = self.claims["name"]
        return renewed

    def matches(self, issuer: str, client_id: str, subject: str | None = None) -> bool:
        """True if this entry is for `issuer` + `client_id` (+ `subject` when given)."""
        return (
            self.issuer == issuer
            and self.client_id == client_id
            and (subject is None or self.subject == subject)
        )

    def aged(self, now: float) -> CacheEntry | None:
        """Return the entry as kept at `now`: past 30 days without its refresh token, and
        `None` once the access token has expired too (nothing usable is left).
        """
        if self.usable_refresh_token(now) is not None:
            return self
        if not self.access_token_fresh(now, 0):
            return None
        return replace(self, refresh_token=None)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CacheEntry:
        """Rebuild an entry from `to_json` output (raises on malformed data)."""
        entry = cls(**data)
        for name in ("issuer", "client_id", "subject", "access_token"):
            if not isinstance(getattr(entry, name), str):
                raise TypeError(f"{name} is not a string")
        return entry

    def to_json(self) -> dict[str, Any]:
        """Return the entry as a JSON-ready dict."""
        return asdict(self)
