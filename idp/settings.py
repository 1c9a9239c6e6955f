"""One frozen, typed settings object, built once from the environment at start-up.

No other module reads `os.environ`: the app, the CLI and the tests build a `Settings` and pass it
down (`create_app(settings)`).
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

DAY = 86_400


@dataclass(frozen=True)
class Lifetimes:
    """Every lifetime in seconds, with the reason for its value."""

    # Short: a JWT access token is checked locally by resource servers; revocation reaches it
    # through its grant (DESIGN §3).
    access_token: int = 600
    id_token: int = 600
    # RFC 9700 §4.2.1 / DESIGN §3: codes are single use and short-lived.
    authorization_code: int = 60
    # RFC 9126 §2.2: a pushed request's `request_uri` is used at once by the browser redirect.
    pushed_authorization_request: int = 60
    # After its `request_uri` is consumed, a pushed request is carried (signed) through the
    # sign-in and consent pages; this bounds how long they may take.
    pushed_request_interaction: int = 15 * 60
    # RFC 8628 §3.2: the user has 10 minutes to type the code; clients poll every 5 s.
    device_code: int = 600
    device_poll_interval: int = 5
    # The seed: "votre authentification est conservée pendant 30 jours" - absolute from sign-in.
    refresh_token: int = 30 * DAY
    # A client that lost a refresh response may present the rotated token again this long.
    refresh_reuse_grace: int = 10
    # The same for a public client whose refresh token is not DPoP-bound: anyone holding the
    # token could replay it, so 0 (strict RFC 9700 reuse detection) unless configured (issue 16).
    public_refresh_reuse_grace: int = 0
    # A browser sign-in on the provider itself (pages, portal).
    browser_session: int = 12 * 3600
    # Emailed verification / reset codes (issue "Sage ID accounts").
    email_code: int = 15 * 60


@dataclass(frozen=True)
class Retention:
    """How long ended rows are kept before the periodic purge deletes them (`idp.retention`),
    so the database stays flat in size however long the provider runs."""

    # How often the server purges (and `sageid-idp db purge` does it once).
    purge_interval: float = 600.0
    # Expired codes, device codes and sessions: kept an hour, so a late replay still finds
    # (and refuses) them and the logs can be matched with rows.
    expired: int = 3600
    # Rotated refresh tokens of a live grant: their reuse revokes the grant (RFC 9700
    # §4.14.2) for this long; an older rotated token is simply unknown, hence refused too.
    rotated_refresh_tokens: int = DAY
    # Grants that ended (revoked or past their 30 days), with their refresh tokens.
    ended_grants: int = 7 * DAY
    # The audit trail: a year and a month of security events (refused sign-ins under attack
    # add one row each; the trail must not grow without bound either).
    audit_events: int = 400 * DAY


@dataclass(frozen=True)
class PasswordHashing:
    """argon2id at OWASP's recommended minimum (19 MiB, t=2, p=1)."""

    memory_cost_kib: int = 19 * 1024
    time_cost: int = 2
    parallelism: int = 1


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int = 587
    starttls: bool = True
    use_tls: bool = False
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = 10.0


@dataclass(frozen=True)
class Settings:
    issuer: str = "http://127.0.0.1:8000"
    data_dir: Path = Path("var")
    database_url: str = ""
    key_dir: Path = Path("certs")
    mail_from: str = "Sage ID <no-reply@sage-id.invalid>"
    smtp: SmtpSettings | None = None
    lifetimes: Lifetimes = Lifetimes()
    password_hashing: PasswordHashing = PasswordHashing()
    # Unused since Authlib runs on the event loop in both execution modes (idp/execution.py);
    # kept so that existing configurations still load.
    bridge_threads: int = 4
    # Longest an Authlib call may wait on the store (PostgreSQL) before it is abandoned.
    bridge_timeout: float = 10.0
    # Concurrent argon2 computations, so sign-ins can't starve the token endpoint.
    password_hash_slots: int = 2
    # How often the in-process client cache looks for changes made by the CLI.
    client_cache_poll: float = 2.0
    # How often each server looks for a changed key file (rollover without restart).
    key_poll: float = 2.0
    # Extra hosts accepted besides the issuer's (e.g. "localhost" behind the same port).
    allowed_hosts: tuple[str, ...] = ()
    # Largest file accepted by the submissions API (issue 8: "configurable, default 20 MB");
    # enforced while the upload streams in, so a larger body is never read in full.
    submission_max_bytes: int = 20 * 1024 * 1024
    # Purge of ended rows (issue 14).
    retention: Retention = Retention()
    # PostgreSQL sessions per process: at least the concurrent requests expected, since a
    # request waits for a free one (sessions beyond the pool would be opened and closed).
    database_pool_size: int = 20
    # Uploads read at the same time; the others wait their turn (issue 14: bounded memory and
    # temporary disk under a burst of large submissions).
    upload_slots: int = 4
    # `/metrics` answers only to `Authorization: Bearer <token>`, and not at all without one.
    metrics_token: str | None = field(default=None, repr=False)
    # prometheus-client's multiprocess mode (`sageid-idp serve --workers N` sets it up).
    metrics_multiprocess_dir: str | None = None
    # `/readyz` answers 503 when the database takes longer than this (a load balancer's probe).
    readiness_timeout: float = 1.0
    # A request must arrive whole, headers and body, within this many seconds (slow clients;
    # `idp.web.protocol`). 20 MB at 2 Mbit/s takes 80 s: uploads over slow links need more.
    read_timeout: float = 30.0
    # RFC 9449 §8: DPoP proofs must carry a server nonce (`use_dpop_nonce` until they do).
    dpop_nonce: bool = False

    def __post_init__(self) -> None:
        parts = urlsplit(self.issuer)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"SAGEID_ISSUER must be an absolute http(s) URL: {self.issuer!r}")
        if parts.query or parts.fragment or self.issuer.endswith("/"):
            raise ValueError("SAGEID_ISSUER must have no query, fragment or trailing slash")
        if parts.scheme == "http" and not _is_loopback(parts.hostname):
            raise ValueError("SAGEID_ISSUER must use https unless it is a loopback address")
        if self.submission_max_bytes <= 0:
            raise ValueError("SAGEID_SUBMISSION_MAX_BYTES must be a positive number of bytes")
        if self.database_pool_size <= 0:
            raise ValueError("SAGEID_DATABASE_POOL_SIZE must be a positive number")
        if self.upload_slots <= 0:
            raise ValueError("SAGEID_UPLOAD_SLOTS must be a positive number")
        if not self.database_url:
            url = f"sqlite+aiosqlite:///{self.data_dir / 'sageid.db'}"
            object.__setattr__(self, "database_url", url)

    @property
    def secure_cookies(self) -> bool:
        return self.issuer.startswith("https://")

    @property
    def outbox_dir(self) -> Path:
        return self.data_dir / "outbox"

    @property
    def trusted_hosts(self) -> list[str]:
        host = urlsplit(self.issuer).hostname or ""
        return [host, *self.allowed_hosts]

    def url(self, path: str) -> str:
        """An absolute URL under the issuer: never built from the request's Host header."""
        return self.issuer + path

    def replace(self, **changes: object) -> Settings:
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        defaults = cls()
        smtp = None
        if env.get("SAGEID_SMTP_HOST"):
            smtp = SmtpSettings(
                host=env["SAGEID_SMTP_HOST"],
                port=int(env.get("SAGEID_SMTP_PORT", "587")),
                starttls=env.get("SAGEID_SMTP_STARTTLS", "1") == "1",
                use_tls=env.get("SAGEID_SMTP_TLS", "0") == "1",
                username=env.get("SAGEID_SMTP_USER") or None,
                password=env.get("SAGEID_SMTP_PASSWORD") or None,
            )
        hashing = PasswordHashing(
            memory_cost_kib=int(env.get("SAGEID_ARGON2_MEMORY_KIB", "19456")),
            time_cost=int(env.get("SAGEID_ARGON2_TIME_COST", "2")),
            parallelism=int(env.get("SAGEID_ARGON2_PARALLELISM", "1")),
        )
        lifetimes = Lifetimes(
            access_token=int(env.get("SAGEID_ACCESS_TOKEN_TTL", "600")),
            refresh_token=int(env.get("SAGEID_REFRESH_TOKEN_TTL", str(30 * DAY))),
            refresh_reuse_grace=int(env.get("SAGEID_REFRESH_REUSE_GRACE", "10")),
            public_refresh_reuse_grace=int(env.get("SAGEID_PUBLIC_REFRESH_REUSE_GRACE", "0")),
        )
        return cls(
            issuer=env.get("SAGEID_ISSUER", defaults.issuer).rstrip("/"),
            data_dir=Path(env.get("SAGEID_DATA_DIR", str(defaults.data_dir))),
            database_url=env.get("DATABASE_URL", ""),
            key_dir=Path(env.get("SAGEID_KEY_DIR", str(defaults.key_dir))),
            mail_from=env.get("SAGEID_MAIL_FROM", defaults.mail_from),
            smtp=smtp,
            lifetimes=lifetimes,
            password_hashing=hashing,
            allowed_hosts=tuple(h for h in env.get("SAGEID_ALLOWED_HOSTS", "").split(",") if h),
            submission_max_bytes=int(
                env.get("SAGEID_SUBMISSION_MAX_BYTES", str(defaults.submission_max_bytes))
            ),
            retention=Retention(
                purge_interval=float(env.get("SAGEID_PURGE_INTERVAL", "600")),
            ),
            key_poll=float(env.get("SAGEID_KEY_POLL", str(defaults.key_poll))),
            database_pool_size=int(
                env.get("SAGEID_DATABASE_POOL_SIZE", str(defaults.database_pool_size))
            ),
            upload_slots=int(env.get("SAGEID_UPLOAD_SLOTS", str(defaults.upload_slots))),
            metrics_token=env.get("SAGEID_METRICS_TOKEN") or None,
            metrics_multiprocess_dir=env.get("PROMETHEUS_MULTIPROC_DIR") or None,
            read_timeout=float(env.get("SAGEID_READ_TIMEOUT", str(defaults.read_timeout))),
            dpop_nonce=env.get("SAGEID_DPOP_NONCE", "0") == "1",
        )


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
