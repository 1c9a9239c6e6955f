"""A second, independent relying party (pyoidc, the `oic` package) against a live server:
discovery, code + PKCE, ID-token verification, userinfo with its default call (POST, the
token in the form body), refresh, and RP-initiated logout (a third party: confirmed)."""

from __future__ import annotations

import re
import secrets
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from oic.oic import Client
from oic.oic.message import (
    AccessTokenResponse,
    AuthorizationResponse,
    OpenIDSchema,
    RegistrationResponse,
)
from oic.utils.authn.client import CLIENT_AUTHN_METHOD

from tests.conftest import LiveServer
from tests.support import EMAIL, PARTNER_ID, PARTNER_REDIRECT, PARTNER_SECRET, PASSWORD

LOGGED_OUT = "https://partner.example.com/"


def csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found
    return found.group(1)


def hidden(html: str) -> dict[str, str]:
    pairs = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', html)
    return {name: value.replace("&amp;", "&") for name, value in pairs}


def browser_authorizes(browser: httpx.Client, url: str) -> dict[str, str]:
    """The user's side: sign in, allow the partner, and hand back the redirect's query."""
    response = browser.get(url)
    assert response.status_code == 303 and "/signin" in response.headers["location"]
    following = parse_qs(urlsplit(response.headers["location"]).query)["next"][0]
    page = browser.get("/signin", params={"next": following})
    step = browser.post(
        "/signin", data={"csrf_token": csrf(page.text), "email": EMAIL, "next": following}
    )
    signed = browser.post(
        "/signin/password",
        data={"csrf_token": csrf(step.text), "email": EMAIL, "password": PASSWORD,
              "next": following},
    )  # fmt: skip
    assert signed.status_code == 303, signed.text
    consent = browser.get(signed.headers["location"])
    assert 'name="decision"' in consent.text  # a third party: the user is asked
    form = {**hidden(consent.text), "csrf_token": csrf(consent.text), "decision": "allow"}
    done = browser.post("/authorize", data=form)
    assert done.status_code == 302, done.text
    location = done.headers["location"]
    assert location.startswith(PARTNER_REDIRECT)
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def test_pyoidc_signs_in_refreshes_and_logs_out(live_server: LiveServer) -> None:
    issuer = live_server.url
    rp: Any = Client(  # pyoidc is only partly typed
        client_authn_method=CLIENT_AUTHN_METHOD,
        config={"code_challenge": {"method": "S256", "length": 64}},
    )
    # Discovery: pyoidc checks that `issuer` is the URL it asked.
    provider = rp.provider_config(issuer)
    assert provider["issuer"] == issuer
    assert "form_post" in provider["response_modes_supported"]
    rp.store_registration_info(
        RegistrationResponse(  # type: ignore[no-untyped-call]
            client_id=PARTNER_ID,
            client_secret=PARTNER_SECRET,
            redirect_uris=[PARTNER_REDIRECT],
            token_endpoint_auth_method="client_secret_basic",
        )
    )
    state, nonce = secrets.token_urlsafe(12), secrets.token_urlsafe(12)
    pkce, verifier = rp.add_code_challenge()
    request = rp.construct_AuthorizationRequest(
        request_args={
            "client_id": PARTNER_ID,
            "response_type": "code",
            "scope": ["openid", "profile", "email", "offline_access"],
            "redirect_uri": PARTNER_REDIRECT,
            "state": state,
            "nonce": nonce,
            **pkce,
        }
    )
    url = request.request(rp.authorization_endpoint)

    with httpx.Client(base_url=issuer) as browser:
        query = browser_authorizes(browser, url)
        answer = rp.parse_response(
            AuthorizationResponse, info="&".join(f"{k}={v}" for k, v in query.items()),
            sformat="urlencoded",
        )  # fmt: skip
        assert isinstance(answer, AuthorizationResponse)
        assert answer["state"] == state
        assert answer["iss"] == issuer

        # Code + PKCE; pyoidc verifies the ID token (signature by the JWKS, iss, aud, exp).
        tokens = rp.do_access_token_request(
            state=state,
            request_args={"code": answer["code"], "code_verifier": verifier},
            authn_method="client_secret_basic",
        )
        assert isinstance(tokens, AccessTokenResponse), tokens
        id_token: dict[str, Any] = tokens["id_token"].to_dict()
        assert id_token["iss"] == issuer
        assert id_token["aud"] == [PARTNER_ID]
        assert id_token["nonce"] == nonce
        assert id_token["sid"]
        assert tokens["refresh_token"]

        # Userinfo with pyoidc's default call: POST, the access token in the form body.
        _, body, method, http_args = rp.user_info_request("POST", state=state)
        assert method == "POST" and "access_token=" in body
        assert "Authorization" not in http_args.get("headers", {})
        info = rp.do_user_info_request(state=state)
        userinfo = dict(info.items())
        assert isinstance(info, OpenIDSchema), info
        assert info["sub"] == id_token["sub"]
        assert info["email"] == EMAIL

        refreshed = rp.do_access_token_refresh(state=state, authn_method="client_secret_basic")
        assert isinstance(refreshed, AccessTokenResponse), refreshed
        assert refreshed["refresh_token"] != tokens["refresh_token"]
        assert refreshed["id_token"]["sid"] == id_token["sid"]

        # RP-initiated logout: a third party, so the user confirms before going back.
        logout = rp.construct_EndSessionRequest(
            state=state,
            request_args={"post_logout_redirect_uri": LOGGED_OUT, "state": "bye"},
        )
        logout_url = logout.request(rp.end_session_endpoint)
        page = browser.get(logout_url)
        assert page.status_code == 200 and 'name="confirm"' in page.text
        form = {**hidden(page.text), "csrf_token": csrf(page.text), "confirm": "yes"}
        done = browser.post("/logout", data=form)
        assert done.status_code == 302
        assert done.headers["location"] == f"{LOGGED_OUT}?state=bye"
        assert EMAIL not in browser.get("/account").text

    # offline_access was granted: the refresh token outlives the browser session.
    again = rp.do_access_token_refresh(state=state, authn_method="client_secret_basic")
    assert isinstance(again, AccessTokenResponse), again
    run = {"discovery": provider["issuer"], "id_token": id_token, "userinfo": userinfo}
    print("pyoidc run:", run)  # for the issue note (pytest -s)
