"""Pushed authorization requests (RFC 9126, issue 16): `/par` authenticates and validates,
its `request_uri` is single use, short-lived and bound to the client that pushed it; a client
registered with `require_pushed_authorization_requests` is refused on the front channel."""

from __future__ import annotations

from urllib.parse import urlencode

import httpx
import pytest

from idp.clock import FrozenClock
from idp.context import AppContext
from tests.oidc.helpers import assert_error_page, consent
from tests.par.helpers import (
    PAR_CLIENT_ID,
    PAR_CLIENT_REDIRECT,
    PAR_CLIENT_SECRET,
    REQUEST_URI_PREFIX,
    add_par_client,
    partner_auth,
    push,
    pushed_uri,
)
from tests.support import (
    NATIVE_ID,
    NATIVE_REDIRECT,
    PARTNER_ID,
    PARTNER_REDIRECT,
    Seeded,
    assert_oauth_error,
    authorization_code,
    pkce_authorize_params,
    query_of,
    redeem_code,
    sign_in,
)


def native_params(**extra: str) -> dict[str, str]:
    return pkce_authorize_params(**extra)[1]


async def pushed_front(client: httpx.AsyncClient) -> dict[str, str]:
    """What the desktop client sends to /authorize after pushing its request (RFC 9126 §4)."""
    return {"client_id": NATIVE_ID, "request_uri": await pushed_uri(client, native_params())}


def assert_request_uri_refused(response: httpx.Response) -> None:
    """The error page /authorize shows for a request_uri it does not honour (RFC 9126 §4)."""
    assert_error_page(response)
    assert "invalid_request_uri" in response.text


def partner_params(**extra: str) -> dict[str, str]:
    return pkce_authorize_params(
        client_id=PARTNER_ID, redirect_uri=PARTNER_REDIRECT, scope="openid profile", **extra
    )[1]


# -- the push ---------------------------------------------------------------------------------


async def test_a_public_client_pushes_and_signs_in_with_the_request_uri(
    client: httpx.AsyncClient, seeded: Seeded
) -> None:
    verifier, params = pkce_authorize_params()
    response = await push(client, params)
    assert response.status_code == 201, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["expires_in"] == 60
    assert body["request_uri"].startswith(REQUEST_URI_PREFIX)
    assert len(body["request_uri"]) > len(REQUEST_URI_PREFIX) + 40

    # Not signed in: the sign-in page, then back to /authorize with the pushed parameters.
    front = {"client_id": NATIVE_ID, "request_uri": body["request_uri"]}
    answer = await authorization_code(client, front)
    assert answer.status_code == 302, answer.text
    got = query_of(answer.headers["location"])
    assert answer.headers["location"].startswith(NATIVE_REDIRECT)
    assert got["state"] == params["state"]
    token = await redeem_code(client, got["code"], verifier)
    assert token["scope"] == params["scope"]


async def test_a_confidential_client_pushes_and_gets_consent_then_a_code(
    client: httpx.AsyncClient, seeded: Seeded
) -> None:
    params = partner_params()
    request_uri = await pushed_uri(client, params, partner_auth())
    assert (await sign_in(client)).status_code == 303
    page = await client.get(
        "/authorize", params={"client_id": PARTNER_ID, "request_uri": request_uri}
    )
    assert page.status_code == 200, page.text  # the consent page: a third party
    answer = await consent(client, page)
    assert answer.status_code == 302, answer.text
    got = query_of(answer.headers["location"])
    assert answer.headers["location"].startswith(PARTNER_REDIRECT)
    assert got["state"] == params["state"] and "code" in got


async def test_the_request_uri_is_single_use(client: httpx.AsyncClient, seeded: Seeded) -> None:
    assert (await sign_in(client)).status_code == 303
    front = await pushed_front(client)
    first = await client.get("/authorize", params=front)
    assert first.status_code == 302 and "code=" in first.headers["location"]
    again = await client.get("/authorize", params=front)
    assert_request_uri_refused(again)


@pytest.mark.parametrize(
    ("later", "honoured"), [(59, True), (61, False)], ids=["just-before-expiry", "expired"]
)
async def test_the_request_uri_expires_after_60_seconds(
    client: httpx.AsyncClient, seeded: Seeded, clock: FrozenClock, later: int, honoured: bool
) -> None:
    assert (await sign_in(client)).status_code == 303
    front = await pushed_front(client)
    clock.advance(later)
    answer = await client.get("/authorize", params=front)
    if honoured:
        assert answer.status_code == 302 and "code=" in answer.headers["location"]
    else:
        assert_request_uri_refused(answer)


async def test_another_client_cannot_use_the_request_uri(
    client: httpx.AsyncClient, seeded: Seeded
) -> None:
    assert (await sign_in(client)).status_code == 303
    request_uri = await pushed_uri(client, partner_params(), partner_auth())
    stolen = await client.get(
        "/authorize", params={"client_id": NATIVE_ID, "request_uri": request_uri}
    )
    assert_request_uri_refused(stolen)
    missing = await client.get("/authorize", params={"request_uri": request_uri})
    assert_error_page(missing)
    # The attempt did not spend it: the client that pushed it still can.
    page = await client.get(
        "/authorize", params={"client_id": PARTNER_ID, "request_uri": request_uri}
    )
    assert page.status_code == 200, page.text


async def test_an_unknown_request_uri_is_invalid(client: httpx.AsyncClient, seeded: Seeded) -> None:
    assert (await sign_in(client)).status_code == 303
    forged = {"client_id": NATIVE_ID, "request_uri": REQUEST_URI_PREFIX + "made-up"}
    answer = await client.get("/authorize", params=forged)
    assert_request_uri_refused(answer)


async def test_the_pushed_parameters_win_over_the_front_channel(
    client: httpx.AsyncClient, seeded: Seeded
) -> None:
    assert (await sign_in(client)).status_code == 303
    params = native_params(scope="openid")
    front = {
        "client_id": NATIVE_ID,
        "request_uri": await pushed_uri(client, params),
        "scope": "openid profile email",
        "state": "from-the-front",
    }
    answer = await client.get("/authorize", params=front)
    assert answer.status_code == 302, answer.text
    assert query_of(answer.headers["location"])["state"] == params["state"]


async def test_parameters_changed_between_the_pages_are_refused(
    client: httpx.AsyncClient, seeded: Seeded
) -> None:
    """The pushed parameters travel signed through sign-in: a browser cannot edit them."""
    front = await pushed_front(client)
    to_sign_in = await client.get("/authorize", params=front)
    assert to_sign_in.status_code == 303
    following = query_of(to_sign_in.headers["location"])["next"]
    assert "pushed_request=" in following
    assert (await sign_in(client)).status_code == 303
    carried = query_of(following)
    tampered = {**carried, "redirect_uri": "http://127.0.0.1:9999/callback"}
    refused = await client.get("/authorize?" + urlencode(tampered))
    assert_request_uri_refused(refused)
    untouched = await client.get(following)
    assert untouched.status_code == 302 and "code=" in untouched.headers["location"]


async def test_carried_parameters_expire(
    client: httpx.AsyncClient, seeded: Seeded, clock: FrozenClock
) -> None:
    front = await pushed_front(client)
    following = query_of((await client.get("/authorize", params=front)).headers["location"])["next"]
    assert (await sign_in(client)).status_code == 303
    clock.advance(16 * 60)
    assert_error_page(await client.get(following))


# -- client authentication at /par --------------------------------------------------------


async def test_a_confidential_client_must_authenticate(
    client: httpx.AsyncClient, seeded: Seeded
) -> None:
    params = partner_params()
    assert_oauth_error(await push(client, params), 401, "invalid_client")
    wrong = httpx.BasicAuth(PARTNER_ID, "not-the-secret")
    assert_oauth_error(await push(client, params, wrong), 401, "invalid_client")
    posted = await client.post("/par", data={**params, "client_secret": "partner-test-secret"})
    assert posted.status_code == 201, posted.text


async def test_an_unknown_client_is_refused(client: httpx.AsyncClient, seeded: Seeded) -> None:
    # 400 as at /token: no `Authorization` header was sent (RFC 6749 §5.2).
    assert_oauth_error(await push(client, native_params(client_id="nobody")), 400, "invalid_client")


async def test_the_client_id_must_be_the_authenticated_one(
    client: httpx.AsyncClient, seeded: Seeded
) -> None:
    params = {**partner_params(), "client_id": NATIVE_ID}
    assert_oauth_error(await push(client, params, partner_auth()), 400, "invalid_request")


async def test_the_client_secret_is_not_kept_with_the_request(
    client: httpx.AsyncClient, seeded: Seeded, ctx: AppContext
) -> None:
    params = {**partner_params(), "client_secret": "partner-test-secret"}
    request_uri = await pushed_uri(client, params)
    kept = await ctx.store.pushed_requests.consume(request_uri, PARTNER_ID, ctx.clock.now())
    assert kept is not None
    assert "client_secret" not in dict(kept)
    assert dict(kept)["client_id"] == PARTNER_ID


# -- validation at push time: RFC 6749 JSON errors, never a redirect -----------------------------


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"redirect_uri": "https://evil.example/callback"}, "invalid_request"),
        ({"code_challenge": ""}, "invalid_request"),
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"scope": "openid no-such-scope"}, "invalid_scope"),
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"request_uri": REQUEST_URI_PREFIX + "x"}, "invalid_request"),
        ({"request": "eyJhbGciOiJub25lIn0.e30."}, "request_not_supported"),
        ({"response_mode": "fragment"}, "invalid_request"),
        ({"prompt": "none login"}, "invalid_request"),
        ({"claims": "not json"}, "invalid_request"),
    ],
)
async def test_a_pushed_request_is_validated_like_authorize(
    client: httpx.AsyncClient, seeded: Seeded, change: dict[str, str], error: str
) -> None:
    params = {k: v for k, v in {**native_params(), **change}.items() if v}
    assert_oauth_error(await push(client, params), 400, error)


async def test_repeated_parameters_are_refused(client: httpx.AsyncClient, seeded: Seeded) -> None:
    body = urlencode([*native_params().items(), ("scope", "openid")])
    headers = {"content-type": "application/x-www-form-urlencoded"}
    assert_oauth_error(
        await client.post("/par", content=body, headers=headers), 400, "invalid_request"
    )


async def test_prompt_none_can_be_pushed(client: httpx.AsyncClient, seeded: Seeded) -> None:
    """`prompt=none` needs a signed-in user only at /authorize, not when pushed."""
    request_uri = await pushed_uri(client, native_params(prompt="none"))
    answer = await client.get(
        "/authorize", params={"client_id": NATIVE_ID, "request_uri": request_uri}
    )
    assert answer.status_code == 302
    assert query_of(answer.headers["location"])["error"] == "login_required"


# -- require_pushed_authorization_requests ---------------------------------------------------


async def test_a_client_that_must_push_is_refused_on_the_front_channel(
    client: httpx.AsyncClient, seeded: Seeded, ctx: AppContext
) -> None:
    await add_par_client(ctx)
    assert (await sign_in(client)).status_code == 303
    _, params = pkce_authorize_params(
        client_id=PAR_CLIENT_ID, redirect_uri=PAR_CLIENT_REDIRECT, scope="openid"
    )
    refused = await client.get("/authorize", params=params)
    assert refused.status_code == 302, refused.text
    assert refused.headers["location"].startswith(PAR_CLIENT_REDIRECT)
    got = query_of(refused.headers["location"])
    assert got["error"] == "invalid_request"
    assert got["state"] == params["state"]
    assert "code" not in got

    auth = httpx.BasicAuth(PAR_CLIENT_ID, PAR_CLIENT_SECRET)
    request_uri = await pushed_uri(client, params, auth)
    pushed = await client.get(
        "/authorize", params={"client_id": PAR_CLIENT_ID, "request_uri": request_uri}
    )
    assert pushed.status_code == 302, pushed.text
    assert "code" in query_of(pushed.headers["location"])


async def test_other_clients_may_still_use_the_front_channel(
    client: httpx.AsyncClient, seeded: Seeded
) -> None:
    answer = await authorization_code(client, native_params())
    assert answer.status_code == 302 and "code=" in answer.headers["location"]


async def test_discovery_advertises_pushed_authorization_requests(
    client: httpx.AsyncClient, seeded: Seeded
) -> None:
    metadata = (await client.get("/.well-known/openid-configuration")).json()
    assert metadata["pushed_authorization_request_endpoint"] == "http://127.0.0.1:8000/par"
    assert metadata["require_pushed_authorization_requests"] is False
