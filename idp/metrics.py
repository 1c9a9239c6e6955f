"""Prometheus metrics (`/metrics`, `idp.endpoints.health`), one registry per application.

Counted: requests by route, method and status with their latency (`idp.web.observe`), tokens
issued by grant type, refresh-token reuse detections, throttle refusals and sign-in failures.
Routes are the application's route templates (`/api/v1/submissions/{submission_id}`), never
the raw path, and unknown methods count as `other`: a client cannot grow the label sets.

With several worker processes (`sageid-idp serve --workers N`), each process writes its
values to files under `PROMETHEUS_MULTIPROC_DIR` (prometheus-client's multiprocess mode, which
`serve` sets up) and a scrape of any worker adds up every process's.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# The hot paths answer in well under a millisecond; pages and sign-ins (argon2) take longer.
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5)


class Metrics:
    def __init__(self, multiprocess_dir: str | None = None) -> None:
        self.multiprocess_dir = multiprocess_dir
        registry = self.registry = CollectorRegistry(auto_describe=False)
        self.requests = Counter(
            "sageid_http_requests",
            "HTTP requests answered, by route template, method and status.",
            ["route", "method", "status"],
            registry=registry,
        )
        self.latency = Histogram(
            "sageid_http_request_duration_seconds",
            "Time from the request's arrival to the end of its response, by route template.",
            ["route"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.tokens_issued = Counter(
            "sageid_tokens_issued",
            "Token responses issued by the token endpoint, by grant type.",
            ["grant_type"],
            registry=registry,
        )
        self.refresh_reuse = Counter(
            "sageid_refresh_token_reuse_detected",
            "Rotated refresh tokens presented again (the grant was revoked).",
            registry=registry,
        )
        self.throttle_refusals = Counter(
            "sageid_throttle_refusals",
            "Attempts refused by a throttle (answered 429), by route template.",
            ["route"],
            registry=registry,
        )
        self.sign_in_failures = Counter(
            "sageid_sign_in_failures",
            "Password sign-ins refused, by reason (wrong password or unknown account, locks).",
            ["reason"],
            registry=registry,
        )
        # `labels()` takes a lock and builds a key: the children are kept per label set.
        self._children: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}
        self._tokens: dict[str, Counter] = {}

    def observe_request(self, route: str, method: str, status: int, seconds: float) -> None:
        key = (route, method if method in METHODS else "other", status)
        children = self._children.get(key)
        if children is None:
            children = (self.requests.labels(*key[:2], str(status)), self.latency.labels(route))
            self._children[key] = children
        children[0].inc()
        children[1].observe(seconds)
        if status == 429:
            self.throttle_refusals.labels(route).inc()

    def token_issued(self, grant_type: str) -> None:
        """Called for a successful token response only, so the grant type is a known one."""
        child = self._tokens.get(grant_type)
        if child is None:
            child = self._tokens[grant_type] = self.tokens_issued.labels(grant_type)
        child.inc()

    def exposition(self) -> bytes:
        if self.multiprocess_dir is None:
            return generate_latest(self.registry)
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=self.multiprocess_dir)  # type: ignore[no-untyped-call]
        return generate_latest(registry)
