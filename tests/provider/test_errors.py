"""Bad input at /authorize and /token: an RFC 6749 error every time, never a 500, and never a
redirect to an unvalidated redirect URI."""

from __future__ import annotations

import base64
import pkgutil
import subprocess
import sys

import httpx
import pytest

import idp.oauth
from idp.clock import FrozenClock
from tests.support import (
    NATIVE_REDIRECT,
    PARTNER_ID,
    PARTNER_REDIRECT,
    PARTNER_SECRET,
    Seeded,
    assert_oauth_error,
    authorization_code,
    issued_code,
    pkce_authorize_params,
    query_of,
    redeem_form,
)


def assert_error_page(response: httpx.Response, status: int = 400) -> None:
    assert response.status_code == status
    assert "location" not in response.headers
    assert response.headers["content-type"].startswith("text/html")
    assert "Traceback" not in response.text


# -- /authorize: errors that must NOT redirect (client or redirect URI not trusted) ----------


@pytest.mark.parametrize(
    "change",
    [
        {"client_id": "no-such-client"},
        {"client_id": ""},
        {"redirect_uri": "https://evil.example/callback"},
        {"redirect_uri": "http://127.0.0.1/other-path"},
        {"redirect_uri": "http://localhost/callback"},
        {"redirect_uri": NATIVE_REDIRECT + "?extra=1"},
        {"redirect_uri": "http://127.0.0.1:notaport/callback"},
        {"redirect_uri": "http://user@127.0.0.1/callback"},
    ],
    ids=lambda change: ",".join(f"{k}={v}" for k, v in change.items()),
)
async def test_untrusted_client_or_redirect_shows_a_page(
    client: httpx.AsyncClient, seeded: Seeded, change: dict[str, str]
) -> None:
    _, params = pkce_authorize_params(**change)
    response = await client.get("/authorize", params=params)
    assert_error_page(response)


async def test_missing_redirect_uri_with_several_registered_is_refused(
    client: httpx.AsyncClient, seeded: Seeded, ctx: object
) -> None:
    _, params = pkce_authorize_params()
    del params["redirect_uri"]
    # The native test client has one redirect URI: it is implied (RFC 6749 §3.1.2.3).
    assert (await authorization_code(client, params)).status_code == 302


async def test_repeated_parameter_shows_a_page(client: httpx.AsyncClient, seeded: Seeded) -> None:
    query = httpx.QueryParams(pkce_authorize_params()[1]).add("state", "again")
    assert_error_page(await client.get("/authorize", params=query))


# -- /authorize: errors redirected to the (validated) client ----------------------------------


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"code_challenge": None, "code_challenge_method": None}, "invalid_request"),
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"code_challenge_method": None}, "invalid_request"),
        ({"code_challenge": "short"}, "invalid_request"),
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"response_type": "code id_token"}, "unsupported_response_type"),
        ({"scope": "openid admin"}, "invalid_scope"),
        ({"prompt": "none login"}, "invalid_request"),
        ({"max_age": "²"}, "invalid_request"),  # a digit to str.isdigit(), not to int()
        ({"max_age": "9" * 5000}, "invalid_request"),
    ],
    ids=[
        "no-pkce",
        "plain-pkce",
        "pkce-no-method",
        "short-challenge",
        "token",
        "hybrid",
        "scope",
        "prompt",
        "max-age-superscript",
        "max-age-huge",
    ],
)
async def test_bad_request_redirects_an_error_to_the_client(
    client: httpx.AsyncClient, seeded: Seeded, change: dict[str, str | None], error: str
) -> None:
    _, params = pkce_authorize_params()
    for key, value in change.items():
        if value is None:
            params.pop(key)
        else:
            params[key] = value
    response = await authorization_code(client, params)
    assert response.status_code == 302, response.text
    location = response.headers["location"]
    assert location.startswith(NATIVE_REDIRECT + "?")
    got = query_of(location)
    assert got["error"] == error
    assert got["state"] == params["state"]
    assert got["iss"] == "http://127.0.0.1:8000"


# -- /token ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "status", "error"),
    [
        ({"code_verifier": "W" * 43}, 400, "invalid_grant"),
        ({"code_verifier": None}, 400, "invalid_request"),
        ({"code_verifier": "short"}, 400, "invalid_request"),
        ({"code": "not-a-code"}, 400, "invalid_grant"),
        ({"code": None}, 400, "invalid_request"),
        ({"redirect_uri": "http://127.0.0.1/elsewhere"}, 400, "invalid_grant"),
        ({"redirect_uri": None}, 400, "invalid_grant"),
        ({"client_id": "no-such-client"}, 400, "invalid_client"),
        ({"client_id": PARTNER_ID}, 401, "invalid_client"),
        ({"grant_type": "password"}, 400, "unsupported_grant_type"),
        ({"grant_type": None}, 400, "invalid_request"),
    ],
    ids=[
        "wrong-verifier",
        "no-verifier",
        "short-verifier",
        "unknown-code",
        "no-code",
        "other-redirect",
        "no-redirect",
        "unknown-client",
        "confidential-without-secret",
        "unsupported-grant",
        "no-grant-type",
    ],
)
async def test_token_request_errors(
    client: httpx.AsyncClient,
    seeded: Seeded,
    change: dict[str, str | None],
    status: int,
    error: str,
) -> None:
    code, verifier = await issued_code(client)
    response = await client.post("/token", data=redeem_form(code, verifier, **change))
    assert_oauth_error(response, status, error)


async def test_code_reuse_is_refused_and_revokes_its_tokens(
    client: httpx.AsyncClient, seeded: Seeded
) -> None:
    code, verifier = await issued_code(client)
    first = await client.post("/token", data=redeem_form(code, verifier))
    assert first.status_code == 200
    access_token = first.json()["access_token"]
    bearer = {"Authorization": f"Bearer {access_token}"}
    assert (await client.get("/userinfo", headers=bearer)).status_code == 200

    replay = await client.post("/token", data=redeem_form(code, verifier))
    assert_oauth_error(replay, 400, "invalid_grant")
    revoked = await client.get("/userinfo", headers=bearer)
    assert_oauth_error(revoked, 401, "invalid_token")


async def test_expired_code_is_refused(
    client: httpx.AsyncClient, seeded: Seeded, clock: FrozenClock
) -> None:
    code, verifier = await issued_code(client)
    clock.advance(61)
    assert_oauth_error(
        await client.post("/token", data=redeem_form(code, verifier)), 400, "invalid_grant"
    )


async def test_code_is_bound_to_its_client(client: httpx.AsyncClient, seeded: Seeded) -> None:
    code, verifier = await issued_code(client)
    form = redeem_form(code, verifier, client_id=None, redirect_uri=PARTNER_REDIRECT)
    response = await client.post("/token", data=form, auth=(PARTNER_ID, PARTNER_SECRET))
    assert_oauth_error(response, 400, "invalid_grant")


@pytest.mark.parametrize(
    "authorization",
    [
        "Basic " + base64.b64encode(f"{PARTNER_ID}:wrong".encode()).decode(),
        "Basic " + base64.b64encode(b"nobody:secret").decode(),
        "Basic !!!not-base64!!!",
        "Basic " + base64.b64encode(b"\xff\xfe:\xff").decode(),
        "Basic " + base64.b64encode(b"no-colon").decode(),
    ],
    ids=["wrong-secret", "unknown-client", "not-base64", "not-utf8", "no-colon"],
)
async def test_confidential_client_authentication_failures(
    client: httpx.AsyncClient, seeded: Seeded, authorization: str
) -> None:
    response = await client.post(
        "/token",
        data={"grant_type": "authorization_code", "code": "x", "redirect_uri": PARTNER_REDIRECT},
        headers={"Authorization": authorization},
    )
    assert_oauth_error(response, 401, "invalid_client")
    assert response.headers["www-authenticate"].startswith("Basic")


async def test_client_secret_post_with_a_wrong_secret(
    client: httpx.AsyncClient, seeded: Seeded
) -> None:
    response = await client.post(
        "/token",
        data={
            "grant_type": "authorization_code",
            "code": "x",
            "client_id": PARTNER_ID,
            "client_secret": "wrong",
            "redirect_uri": PARTNER_REDIRECT,
        },
    )
    assert response.json()["error"] == "invalid_client"
    assert response.status_code in (400, 401)


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b'{"grant_type": "authorization_code"}', "application/json"),
        (b"grant_type=authorization_code&code=\xff\xfe", "application/x-www-form-urlencoded"),
        (
            b"grant_type=authorization_code&grant_type=refresh_token",
            "application/x-www-form-urlencoded",
        ),
        (b"a=1&" * 30_000, "application/x-www-form-urlencoded"),
        (b"", "application/x-www-form-urlencoded"),
        (b"--x\r\n", "multipart/form-data; boundary=x"),
        (b"grant_type=authorization_code", "text/plain"),
    ],
    ids=["json", "not-utf8", "repeated", "huge", "empty", "multipart", "text"],
)
async def test_malformed_token_bodies(
    client: httpx.AsyncClient, seeded: Seeded, content: bytes, content_type: str
) -> None:
    response = await client.post("/token", content=content, headers={"Content-Type": content_type})
    assert_oauth_error(response, 400, "invalid_request")


async def test_token_endpoint_refuses_get(client: httpx.AsyncClient) -> None:
    response = await client.get("/token")
    assert_oauth_error(response, 405, "invalid_request")
    assert response.headers["allow"] == "POST"  # RFC 9110 §15.5.6


async def test_a_page_refusing_a_method_says_which_it_allows(client: httpx.AsyncClient) -> None:
    response = await client.delete("/signin")
    assert response.status_code == 405 and "text/html" in response.headers["content-type"]
    assert set(response.headers["allow"].split(", ")) == {"GET", "HEAD", "POST"}


async def test_unknown_page_is_a_friendly_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/nowhere")
    assert response.status_code == 404
    assert "Page introuvable" in response.text


def test_the_oauth_package_imports_no_web_framework() -> None:
    """Issue 20: `idp.oauth` returns data and raises `OAuth2Error`s; turning them into HTTP
    responses is `idp.web.oauth_response`'s job (one exception handler for every error)."""
    modules = [f"idp.oauth.{m.name}" for m in pkgutil.iter_modules(idp.oauth.__path__)]
    script = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "print(','.join(sorted(m for m in sys.modules if m.split('.')[0] == 'starlette')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""
