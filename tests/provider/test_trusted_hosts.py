"""The one Host rule (`idp.web.hosts.HostRule`): Starlette's `TrustedHostMiddleware` decision,
with the allowed values remembered (a refused one never is) in a bounded set."""

from __future__ import annotations

import pytest
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.types import Message, Receive, Scope, Send

from idp.web.hosts import HostRule

ALLOWED = ["id.example", "127.0.0.1", "*.wild.example"]
HOSTS = [
    b"id.example",
    b"ID.Example",
    b"id.example:8443",
    b"127.0.0.1:8000",
    b"a.wild.example",
    b"A.Wild.Example:1",
    b"wild.example",
    b"evil.example",
    b"id.example.evil",
    b"id.example:",
    b"id.example:x",
    b"id.example/path",
    b"id.example@evil.example",
    b"[::1]",
    b"",
    b"\xc3\xa9.wild.example",
]


async def starlette_allows(host: bytes) -> bool:
    """What Starlette's own middleware decides for this Host value."""
    reached: list[bool] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        reached.append(True)

    async def receive() -> Message:
        return {"type": "http.request", "body": b""}

    async def send(message: Message) -> None:
        pass

    middleware = TrustedHostMiddleware(app, ALLOWED, www_redirect=False)
    scope = {"type": "http", "method": "GET", "path": "/", "headers": [(b"host", host)]}
    await middleware(scope, receive, send)
    return bool(reached)


@pytest.mark.parametrize("host", HOSTS)
async def test_the_rule_is_starlettes_each_time(host: bytes) -> None:
    rule = HostRule(ALLOWED)
    expected = await starlette_allows(host)
    assert [rule.allows(host), rule.allows(host)] == [expected, expected]


def test_only_allowed_values_are_remembered(monkeypatch: pytest.MonkeyPatch) -> None:
    rule = HostRule(ALLOWED)
    parsed: list[str] = []
    matches = rule._matches

    def counted(value: str) -> bool:
        parsed.append(value)
        return matches(value)

    monkeypatch.setattr(rule, "_matches", counted)
    for _ in range(3):
        assert rule.allows(b"id.example:8000")
        assert not rule.allows(b"evil.example")
        assert not rule.allows(None)
    assert parsed == ["id.example:8000", "evil.example", "evil.example", "evil.example"]


def test_the_memo_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(HostRule, "MEMO_SIZE", 3)
    rule = HostRule(ALLOWED)
    ports = [f"id.example:{port}".encode() for port in range(1, 6)]
    for host in ports:
        assert rule.allows(host)
        assert len(rule._allowed) <= 3
    assert rule._allowed == set(ports[3:])  # full after the third: started again


def test_any_host_when_all_are_allowed() -> None:
    rule = HostRule(["*"])
    assert rule.allows(b"any.example") and rule.allows(None)
