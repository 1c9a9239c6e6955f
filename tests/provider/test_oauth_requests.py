"""`ParsedOAuth2Request`: Authlib's transport check (RFC 6749 §3.1: TLS) runs once per secure
endpoint URI, and every time for anything else."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from authlib.oauth2.rfc6749 import InsecureTransportError, OAuth2Request

from idp.oauth.requests import ParsedOAuth2Request

HEADERS = {"authorization": "Basic c2VjcmV0"}


@pytest.fixture(autouse=True)
def fresh_checks(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("AUTHLIB_INSECURE_TRANSPORT", raising=False)
    monkeypatch.setattr(ParsedOAuth2Request, "_checked_uris", {})
    yield


@pytest.fixture
def transport_checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    checked: list[str] = []
    original = InsecureTransportError.check.__func__

    def check(cls: type[InsecureTransportError], uri: str) -> None:
        checked.append(uri)
        original(cls, uri)

    monkeypatch.setattr(InsecureTransportError, "check", classmethod(check))
    return checked


@pytest.mark.parametrize("uri", ["https://id.example.org/token", "http://127.0.0.1:8000/token"])
def test_a_secure_uri_is_checked_once(transport_checks: list[str], uri: str) -> None:
    first = ParsedOAuth2Request("POST", uri, HEADERS, form=[("grant_type", "x")])
    second = ParsedOAuth2Request("GET", uri, {}, query=[("a", "1")])
    assert transport_checks == [uri]
    # The second starts from the state Authlib's __init__ left, with its own request data.
    plain = OAuth2Request("GET", uri)
    shared = set(vars(plain)) - {"method", "headers", "payload"}
    assert {k: vars(second)[k] for k in shared} == {k: vars(plain)[k] for k in shared}
    assert (second.method, second.headers, second.args, second.form) == ("GET", {}, {"a": "1"}, {})
    assert first.headers is HEADERS and first.form == {"grant_type": "x"}
    assert "headers" not in ParsedOAuth2Request._checked_uris[uri]  # no credentials kept


@pytest.mark.parametrize("uri", ["http://id.example.org/token", "ftp://127.0.0.1/token", "/token"])
def test_an_insecure_uri_is_refused_every_time(transport_checks: list[str], uri: str) -> None:
    for _ in range(2):
        with pytest.raises(InsecureTransportError):
            ParsedOAuth2Request("POST", uri, HEADERS)
    assert transport_checks == [uri, uri]


def test_the_insecure_override_stays_per_request(
    transport_checks: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    uri = "http://id.example.org/token"
    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")
    ParsedOAuth2Request("POST", uri, HEADERS)
    monkeypatch.delenv("AUTHLIB_INSECURE_TRANSPORT")
    with pytest.raises(InsecureTransportError):
        ParsedOAuth2Request("POST", uri, HEADERS)
    assert transport_checks == [uri, uri]


def test_remembered_uris_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ParsedOAuth2Request, "_MAX_CHECKED_URIS", 2)
    for n in range(4):
        ParsedOAuth2Request("POST", f"https://id.example.org/{n}", HEADERS)
    assert len(ParsedOAuth2Request._checked_uris) == 2
