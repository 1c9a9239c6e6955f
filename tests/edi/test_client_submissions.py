"""The client library's `submit` and `list_submissions`: against a real provider on a loopback
port with `BearerAuth`, and their error mapping with `httpx.MockTransport`."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import anyio
import httpx
import pytest

from client import (
    BearerAuth,
    CacheEntry,
    PlaintextProtection,
    ProviderError,
    ProviderUnreachable,
    Session,
    SignInRequired,
    Submission,
    SubmissionRefused,
    TokenCache,
    TokenResponse,
    list_submissions,
    submissions_url,
    submit,
)
from idp.keys import KeyRing
from idp.store import Store
from tests.conftest import LiveServer
from tests.edi.helpers import DSN, mint, new_grant, reference
from tests.referencing.helpers import BOULANGERIE, CABINET, import_customers
from tests.support import NATIVE_ID

ISSUER = "http://127.0.0.1:8000"


def _no_refresh(_: str) -> TokenResponse:
    raise AssertionError("no refresh expected")


def signed_in_http(tmp_path: Path, issuer: str, subject: str, access_token: str) -> httpx.Client:
    """What the desktop app holds after a sign-in: a cached entry and `BearerAuth` on it
    (no refresh token: a refused token then means signing in again)."""
    now = time.time()
    cache = TokenCache(tmp_path / "cache", protection=PlaintextProtection())
    cache.store(
        CacheEntry(
            issuer=issuer,
            client_id=NATIVE_ID,
            subject=subject,
            access_token=access_token,
            access_token_expires_at=now + 600,
            refresh_token=None,
            auth_time=now,
        )
    )
    session = Session(cache, issuer, NATIVE_ID, _no_refresh)
    return httpx.Client(auth=BearerAuth(session), timeout=10)


def marie_token(server: LiveServer, *, revoked: bool = False) -> tuple[str, str]:
    """Marie referenced to the Boulangerie, and an `edi` access token of a new grant."""

    async def prepare() -> tuple[str, str]:
        store = Store(server.settings.database_url)
        try:
            now = time.time()
            await import_customers(store, now)
            user = await store.users.by_email("marie.martin@example.com")
            assert user is not None
            await reference(store, user.id, BOULANGERIE, "default", now)
            grant_id = await new_grant(store, user.id, now)
            if revoked:
                await store.grants.revoke(grant_id, now)
            return user.id, grant_id
        finally:
            await store.close()

    user_id, grant_id = anyio.run(prepare)
    keys = KeyRing.from_dir(server.settings.key_dir)
    return user_id, mint(server.settings, keys, user_id, grant_id)


def test_submit_then_list_against_the_provider(live_server: LiveServer, tmp_path: Path) -> None:
    user_id, token = marie_token(live_server)
    declaration = tmp_path / "paie-2026-01.dsn"
    declaration.write_bytes(DSN)
    with signed_in_http(tmp_path, live_server.url, user_id, token) as http:
        sent = submit(http, declaration, "DSN", BOULANGERIE, issuer=live_server.url)
        assert isinstance(sent, Submission)
        assert (sent.status, sent.kind, sent.file_name) == ("received", "DSN", "paie-2026-01.dsn")
        assert sent.size == len(DSN) and sent.sender_name == "Marie Martin"
        assert abs(sent.received_at - time.time()) < 60

        page = list_submissions(http, issuer=live_server.url, customer=BOULANGERIE)
        assert [s.id for s in page.items] == [sent.id] and page.next_cursor is None

        with pytest.raises(SubmissionRefused) as refused:
            submit(http, declaration, "DSN", CABINET, issuer=live_server.url)
        assert refused.value.status == 403
        assert refused.value.problem_type.endswith("/api/v1/problems/not-referenced")
        with pytest.raises(SubmissionRefused) as invalid:
            list_submissions(http, issuer=live_server.url, kind="PAYSLIP")
        assert invalid.value.invalid_params == (("kind", invalid.value.invalid_params[0][1]),)


def test_a_revoked_sign_in_must_sign_in_again(live_server: LiveServer, tmp_path: Path) -> None:
    user_id, token = marie_token(live_server, revoked=True)
    with (
        signed_in_http(tmp_path, live_server.url, user_id, token) as http,
        pytest.raises(SignInRequired),
    ):
        list_submissions(http, issuer=live_server.url)


def _mocked(handler: Callable[[httpx.Request], httpx.Response]) -> httpx.Client:
    return httpx.Client(transport=httpx.MockTransport(handler))


def test_problem_details_become_submission_refused(tmp_path: Path) -> None:
    problem = {
        "type": f"{ISSUER}/api/v1/problems/invalid-parameters",
        "title": "Invalid parameters",
        "status": 422,
        "detail": "kind: one of DSN, …",
        "invalid_params": [{"name": "kind", "reason": "one of DSN, …"}],
    }

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url == submissions_url(ISSUER)
        assert b'name="kind"' in request.content and b'filename="a.dsn"' in request.content
        headers = {"Content-Type": "application/problem+json"}
        return httpx.Response(422, json=problem, headers=headers)

    file = tmp_path / "a.dsn"
    file.write_bytes(DSN)
    with _mocked(handler) as http, pytest.raises(SubmissionRefused) as refused:
        submit(http, file, "PAYSLIP", BOULANGERIE, issuer=ISSUER)
    assert refused.value.status == 422
    assert refused.value.problem_type == problem["type"]
    assert refused.value.invalid_params == (("kind", "one of DSN, …"),)
    assert str(refused.value) == "Invalid parameters: kind: one of DSN, …"


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        (httpx.Response(401, json={"detail": "revoked"}), SignInRequired),
        (httpx.Response(500, text="boom"), ProviderError),
        (httpx.Response(200, text="<html>"), ProviderError),
        (httpx.Response(200, json={"items": [{"id": "x"}]}), ProviderError),
        (httpx.Response(404, json={"detail": "no"}), ProviderError),  # not problem+json
    ],
)
def test_other_answers(response: httpx.Response, expected: type[Exception]) -> None:
    with _mocked(lambda _: response) as http, pytest.raises(expected):
        list_submissions(http, issuer=ISSUER)


def test_an_unreachable_api() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with _mocked(handler) as http, pytest.raises(ProviderUnreachable) as error:
        list_submissions(http, issuer=ISSUER, customer=BOULANGERIE, limit=5)
    assert error.value.request_sent is False


def test_listing_sends_the_filters() -> None:
    seen: list[httpx.URL] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url)
        return httpx.Response(200, json={"items": [], "next_cursor": None})

    with _mocked(handler) as http:
        page = list_submissions(http, issuer=ISSUER + "/", kind="DSN", limit=5, cursor="abc")
    assert page.items == () and page.next_cursor is None
    assert seen[0].params == httpx.QueryParams({"kind": "DSN", "limit": "5", "cursor": "abc"})
    assert seen[0].path == "/api/v1/submissions"
