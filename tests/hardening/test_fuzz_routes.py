"""Arbitrary bytes in every parameter, header and body of every route: never a 5xx, and every
refusal in the route's own format (RFC 6749 JSON at the protocol endpoints, RFC 9457 problem
details at the API, the error page elsewhere)."""

from __future__ import annotations

import base64
import os
import urllib.parse
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from starlette.routing import Mount, Route

from tests.hardening.conftest import PortalApp
from tests.support import assert_oauth_error

JSON_ROUTES = {
    "/token",
    "/userinfo",
    "/introspect",
    "/revoke",
    "/device_authorization",
    "/par",
    "/register",
    "/register/{client_id}",
    "/healthz",
    "/readyz",
    "/metrics",
    "/.well-known/openid-configuration",
    "/.well-known/oauth-authorization-server",
    "/jwks.json",
}
PROBLEM_PREFIX = "/api/v1/"
# Every name a route reads, and a few it does not.
NAMES = [
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
    "prompt",
    "max_age",
    "login_hint",
    "ui_locales",
    "grant_type",
    "code",
    "code_verifier",
    "refresh_token",
    "token",
    "token_type_hint",
    "device_code",
    "user_code",
    "client_secret",
    "email",
    "password",
    "confirmation",
    "next",
    "name",
    "decision",
    "customer",
    "customer_code",
    "number",
    "accept_terms",
    "kind",
    "notification_email",
    "profile_id",
    "member_id",
    "id_token_hint",
    "post_logout_redirect_uri",
    "limit",
    "cursor",
    "received_from",
    "received_to",
    "permission",
    "csrf_token",
    "done",
    "error",
    "iss",
    "confirm",
    "x",
]
HEADERS = [
    "cookie",
    "content-type",
    "accept-language",
    "accept",
    "if-none-match",
    "origin",
    "referer",
    "user-agent",
    "x-forwarded-for",
    "x-forwarded-proto",
    "dpop",
]
# What h11 and httptools let through in a header value: no CR, LF or NUL.
HEADER_BYTES = st.binary(max_size=60).map(
    lambda b: bytes(c for c in b if c not in (0, 10, 13)).strip(b" \t")
)
NASTY = [b'"', b"\\", b"\x01", b"\x7f", b"\xff", b"\xc3\xa9", b"%", b"%zz", b"\x00", b" ", b"<>"]
VALUES = st.one_of(
    st.binary(max_size=40),
    st.text(max_size=40).map(str.encode),
    st.sampled_from(NASTY),
    st.tuples(
        st.sampled_from([b"code", b"desktop-test", b"http://127.0.0.1/callback", b"openid"]),
        st.sampled_from(NASTY),
    ).map(b"".join),
)

AUTHORIZATION = st.tuples(
    st.sampled_from([b"Basic ", b"Bearer ", b"DPoP ", b"basic", b""]),
    st.one_of(
        HEADER_BYTES,
        st.binary(max_size=30).map(base64.b64encode),
        st.sampled_from([b"\xc3\xa9\xff", b"cGFydG5lci10ZXN0", b"=", b"a:b:c"]),
    ),
).map(b"".join)
CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
# A plausible request per route: the fuzzer keeps, drops or spoils each of its parameters.
BASES: dict[str, dict[str, str]] = {
    "/token": {
        "grant_type": "client_credentials",
        "client_id": "partner-test",
        "scope": "edi",
        "code": "x",
        "code_verifier": "x" * 43,
        "redirect_uri": "http://127.0.0.1/callback",
        "refresh_token": "x",
        "device_code": "x",
    },
    "/authorize": {
        "response_type": "code",
        "client_id": "desktop-test",
        "redirect_uri": "http://127.0.0.1/callback",
        "scope": "openid profile",
        "state": "s",
        "nonce": "n",
        "code_challenge": CHALLENGE,
        "code_challenge_method": "S256",
        "prompt": "none",
        "max_age": "10",
        "login_hint": "a@example.com",
        "ui_locales": "en",
    },
    "/revoke": {"token": "x", "token_type_hint": "refresh_token", "client_id": "desktop-test"},
    "/introspect": {"token": "x", "token_type_hint": "access_token", "client_id": "partner-test"},
    "/device_authorization": {"client_id": "desktop-test", "scope": "openid"},
    "/logout": {
        "client_id": "desktop-test",
        "id_token_hint": "x",
        "state": "s",
        "post_logout_redirect_uri": "http://127.0.0.1/signed-out",
        "ui_locales": "en",
    },
    "/signin": {"email": "marie.martin@example.com", "next": "/account", "login_hint": "a@b.c"},
    "/signin/password": {"email": "marie.martin@example.com", "password": "x", "next": "/"},
    "/signup": {"email": "new@example.com", "name": "N", "password": "x", "confirmation": "x"},
    "/verify": {"email": "marie.martin@example.com", "code": "123456", "next": "/account"},
    "/password/reset": {"email": "marie.martin@example.com", "code": "123456", "password": "x"},
    "/reference": {"customer_code": "C0001234", "number": "FA-1", "accept_terms": "1"},
    "/device": {"user_code": "ABCD-EFGH"},
    "/device/confirm": {"user_code": "ABCD-EFGH", "decision": "allow"},
    "/api/v1/submissions": {
        "limit": "10",
        "cursor": "x",
        "kind": "DSN",
        "received_from": "2026-01-01",
        "received_to": "2026-02-01",
    },
    "/portal/admin/{code}/members/profile": {"member_id": "x", "profile_id": "x"},
}


def _encode(items: list[tuple[str, bytes]]) -> str:
    return "&".join(f"{name}={urllib.parse.quote_from_bytes(value)}" for name, value in items)


def _endpoints(portal_app: PortalApp) -> list[tuple[str, str]]:
    found = []
    for route in portal_app.app.routes:
        if isinstance(route, Route):
            for method in sorted((route.methods or {"GET"}) - {"HEAD"}):
                found.append((method, route.path))
        elif isinstance(route, Mount):
            found.append(("GET", route.path + "/{path}"))
    return found


def _parameters(data: st.DataObject, template: str) -> list[tuple[str, bytes]]:
    """The route's plausible parameters, each kept, dropped or spoilt, plus a few others."""
    items: list[tuple[str, bytes]] = []
    for name, value in BASES.get(template, {}).items():
        choice = data.draw(st.sampled_from(["keep", "keep", "drop", "spoil"]), label=name)
        if choice == "keep":
            items.append((name, value.encode()))
        elif choice == "spoil":
            items.append((name, data.draw(VALUES, label=name)))
    extra = data.draw(st.lists(st.tuples(st.sampled_from(NAMES), VALUES), max_size=3))
    return items + extra


FORM = "application/x-www-form-urlencoded"
CONTENT_TYPES = st.sampled_from(
    [FORM, FORM, FORM, "multipart/form-data; boundary=x", "application/json", "text/plain", ""]
)
FUZZED = st.fixed_dictionaries(
    {
        "raw_body": st.one_of(st.none(), st.none(), st.binary(max_size=200)),
        "in_query": st.booleans(),
        "authorization": st.one_of(st.none(), st.none(), AUTHORIZATION),
        "content_type": CONTENT_TYPES,
        "headers": st.lists(st.tuples(st.sampled_from(HEADERS), HEADER_BYTES), max_size=3),
        "path_value": st.binary(min_size=1, max_size=20),
        "signed_in": st.booleans(),
        "bearer": st.booleans(),
        "with_csrf": st.booleans(),
    }
)
EXAMPLES = {"max_examples": 60, "deadline": None}
FUZZ_EXAMPLES = int(os.environ.get("SAGEID_FUZZ_EXAMPLES", "800"))
SHARED_APP = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]


def expected_format(path: str) -> str:
    if path.startswith(PROBLEM_PREFIX):
        return "application/problem+json"
    if path in JSON_ROUTES:
        return "application/json"
    return "text/html"


def fuzz_request(
    portal_app: PortalApp,
    method: str,
    template: str,
    parameters: list[tuple[str, bytes]],
    case: dict[str, Any],
) -> None:
    segment = urllib.parse.quote_from_bytes(case["path_value"], safe="")
    path = template
    for name in ("{submission_id}", "{code}", "{path}", "{client_id}"):
        path = path.replace(name, segment)
    headers: list[tuple[bytes, bytes]] = [(k.encode(), v) for k, v in case["headers"]]
    # Signing out would end the session the other examples share.
    if case["signed_in"] and template not in ("/signout", "/logout"):
        headers.append((b"cookie", portal_app.session_cookie.encode()))
    if case["authorization"] is not None:
        headers.append((b"authorization", case["authorization"]))
    elif case["bearer"]:
        headers.append((b"authorization", b"Bearer " + portal_app.user_token.encode()))
    if case["with_csrf"]:
        parameters = [*parameters, ("csrf_token", portal_app.csrf_token.encode())]
    query, body = "", b""
    if method == "GET" or case["in_query"]:
        query = "?" + _encode(parameters)
    if method == "POST":
        if case["raw_body"] is not None:
            body = case["raw_body"]
        elif not case["in_query"]:
            body = _encode(parameters).encode()
        if case["content_type"]:
            headers.append((b"content-type", case["content_type"].encode()))
    response = portal_app.request(method, path + query, headers=headers, content=body)
    event(f"{method} {template}: {response.status_code}")
    check(response, template)


def check(response: httpx.Response, template: str) -> None:
    assert response.status_code < 500, (response.status_code, response.text[:300])
    bare_challenge = (  # RFC 6750 §3.1: no token at all, a challenge and nothing else
        response.status_code == 401
        and not response.content
        and response.headers.get("www-authenticate", "").startswith("Bearer")
    )
    if response.status_code >= 400 and response.status_code != 405 and not bare_challenge:
        kind = expected_format(template)
        assert response.headers["content-type"].startswith(kind), (template, response.text[:200])
    assert "Traceback" not in response.text


def test_every_route_is_fuzzed(portal_app: PortalApp) -> None:
    """The routes are the application's: a new route is fuzzed without being named."""
    paths = {path for _, path in _endpoints(portal_app)}
    assert {"/token", "/authorize", "/api/v1/submissions/{submission_id}", "/metrics"} <= paths
    assert len(paths) > 40


PROTOCOL = [
    ("POST", "/token"),
    ("GET", "/userinfo"),
    ("POST", "/introspect"),
    ("POST", "/revoke"),
    ("GET", "/authorize"),
    ("POST", "/authorize"),
    ("POST", "/device_authorization"),
    ("GET", "/logout"),
]


@pytest.mark.parametrize("method, template", PROTOCOL)
@settings(**EXAMPLES, suppress_health_check=SHARED_APP)  # type: ignore[arg-type]
@given(data=st.data(), case=FUZZED)
def test_protocol_endpoints_answer_bad_bytes(
    portal_app: PortalApp, method: str, template: str, data: st.DataObject, case: dict[str, Any]
) -> None:
    fuzz_request(portal_app, method, template, _parameters(data, template), case)


# More for a long run: SAGEID_FUZZ_EXAMPLES=20000 pytest tests/hardening -s -k fuzz
@settings(max_examples=FUZZ_EXAMPLES, deadline=None, suppress_health_check=SHARED_APP)
@given(data=st.data(), case=FUZZED)
def test_every_route_answers_bad_bytes(
    portal_app: PortalApp, data: st.DataObject, case: dict[str, Any]
) -> None:
    method, template = data.draw(st.sampled_from(_endpoints(portal_app)), label="endpoint")
    fuzz_request(portal_app, method, template, _parameters(data, template), case)


@settings(**EXAMPLES, suppress_health_check=SHARED_APP)  # type: ignore[arg-type]
@given(host=HEADER_BYTES, path=st.sampled_from(["/token", "/authorize", "/api/v1/submissions"]))
def test_a_forged_host_is_refused_in_the_route_format(
    portal_app: PortalApp, host: bytes, path: str
) -> None:
    response = portal_app.request(
        "POST" if path == "/token" else "GET", path, headers=[(b"host", b"evil" + host)]
    )
    assert response.status_code == 400
    check(response, path)


def test_the_reported_cases(portal_app: PortalApp) -> None:
    """The 500s found from outside (issue 14)."""
    for path in ("/token", "/revoke", "/introspect", "/device_authorization"):
        response = portal_app.request(
            "POST",
            path,
            content=b"grant_type=client_credentials&token=x&client_id=x",
            headers=[(b"content-type", FORM.encode()), (b"authorization", b"Basic \xc3\xa9\xff")],
        )
        assert_oauth_error(response, 401, "invalid_client")
    for query in ("response_type=x%22", "response_type=x%5C", "response_type=%01x"):
        response = portal_app.request("GET", "/authorize?client_id=desktop-test&" + query)
        assert response.status_code == 400
        assert response.headers["content-type"].startswith("text/html")
    response = portal_app.request(
        "GET", "/authorize?client_id=desktop-test&response_type=code&redirect_uri=%FF%22"
    )
    assert response.status_code == 400
    assert "location" not in response.headers


def test_non_ascii_form_and_cookie_signatures(portal_app: PortalApp) -> None:
    """Found by the fuzzer: `hmac.compare_digest` raises on non-ASCII str."""
    cookie = portal_app.session_cookie.encode()
    for path in ("/portal/profile/administrator", "/signout", "/verify"):
        response = portal_app.request(
            "POST",
            path,
            content=b"csrf_token=%C2%80",
            headers=[(b"content-type", FORM.encode()), (b"cookie", cookie)],
        )
        assert response.status_code == 403, (path, response.status_code)
    forged = portal_app.request(
        "GET", "/verify", headers=[(b"cookie", b"sageid_pending=verify.x.1.\xc3\xa9")]
    )
    assert forged.status_code < 500


@pytest.mark.parametrize(
    ("path", "forged"),
    [
        ("/signin/passkey/options", b"sageid_second_step=x.1.\xc3\xa9"),
        ("/signin/passkey", b"sageid_webauthn=authenticate.x.y.1.\xc3\xa9"),
    ],
)
def test_non_ascii_second_factor_cookie_signatures(
    portal_app: PortalApp, path: str, forged: bytes
) -> None:
    """The second-step and WebAuthn cookies are checked like the pending one
    (`idp.web.signed_cookie`): a forged non-ASCII signature is refused, never a 500."""
    cookie = portal_app.session_cookie.encode() + b"; " + forged
    response = portal_app.request(
        "POST",
        path,
        content=f"csrf_token={portal_app.csrf_token}&credential=%7B%7D".encode(),
        headers=[(b"content-type", FORM.encode()), (b"cookie", cookie)],
    )
    assert response.status_code < 500, (path, response.status_code, response.text[:200])
