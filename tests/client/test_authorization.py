"""Browser flow pure steps: the authorization URL and the checks on the callback."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import replace
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from client import (
    DEFAULT_SCOPE,
    AuthorizationDenied,
    AuthorizationRequest,
    AuthorizationResponseError,
    OAuthError,
    ProviderMetadata,
    build_authorization_request,
    loopback_redirect_uri,
    parse_authorization_response,
)

from .helpers import CLIENT_ID, ISSUER

REDIRECT_URI = "http://127.0.0.1:53682/callback"


def query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def test_loopback_redirect_uri_uses_the_ip_literal() -> None:
    assert loopback_redirect_uri(53682) == REDIRECT_URI


def test_default_scope_is_the_full_sage_id_scope() -> None:
    assert DEFAULT_SCOPE == "openid profile email offline_access referencing edi"


def test_authorization_url_carries_every_parameter(metadata: ProviderMetadata) -> None:
    request = build_authorization_request(
        metadata,
        CLIENT_ID,
        REDIRECT_URI,
        login_hint="marie+paie@boulangerie-martin.fr",
        prompt="create",
        ui_locales=["fr", "en"],
    )
    assert request.url.startswith(f"{ISSUER}/authorize?")
    params = query(request.url)
    assert params == {
        "response_type": ["code"],
        "client_id": [CLIENT_ID],
        "redirect_uri": [REDIRECT_URI],
        "scope": [DEFAULT_SCOPE],
        "state": [request.state],
        "nonce": [request.nonce],
        "code_challenge": [params["code_challenge"][0]],
        "code_challenge_method": ["S256"],
        "login_hint": ["marie+paie@boulangerie-martin.fr"],
        "prompt": ["create"],
        "ui_locales": ["fr en"],
    }


def test_code_challenge_is_s256_of_the_verifier(metadata: ProviderMetadata) -> None:
    request = build_authorization_request(metadata, CLIENT_ID, REDIRECT_URI)
    digest = hashlib.sha256(request.code_verifier.encode("ascii")).digest()
    expected = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    assert query(request.url)["code_challenge"] == [expected]
    # RFC 7636 §4.1: 43 to 128 unreserved characters.
    assert 43 <= len(request.code_verifier) <= 128


def test_state_nonce_and_verifier_are_fresh_and_distinct(metadata: ProviderMetadata) -> None:
    first = build_authorization_request(metadata, CLIENT_ID, REDIRECT_URI)
    second = build_authorization_request(metadata, CLIENT_ID, REDIRECT_URI)
    values = [first.state, first.nonce, first.code_verifier]
    values += [second.state, second.nonce, second.code_verifier]
    assert len(set(values)) == 6
    assert all(len(value) >= 43 for value in values)


def test_optional_parameters_are_left_out(metadata: ProviderMetadata) -> None:
    params = query(build_authorization_request(metadata, CLIENT_ID, REDIRECT_URI).url)
    assert not {"login_hint", "prompt", "ui_locales", "max_age"} & params.keys()


def test_existing_query_of_the_endpoint_is_kept(metadata: ProviderMetadata) -> None:
    with_query = replace(metadata, authorization_endpoint=f"{ISSUER}/authorize?tenant=sage")
    request = build_authorization_request(with_query, CLIENT_ID, REDIRECT_URI)
    assert query(request.url)["tenant"] == ["sage"]


@pytest.fixture
def request_(metadata: ProviderMetadata) -> AuthorizationRequest:
    return build_authorization_request(metadata, CLIENT_ID, REDIRECT_URI)


def callback(**params: str) -> str:
    return f"{REDIRECT_URI}?{urlencode(params)}"


def test_valid_callback_returns_the_code(request_: AuthorizationRequest) -> None:
    url = callback(code="abc", state=request_.state, iss=ISSUER)
    assert parse_authorization_response(request_, url) == "abc"


@pytest.mark.parametrize(
    ("params", "check"),
    [
        ({"code": "abc", "state": "forged", "iss": ISSUER}, "state"),
        ({"code": "abc", "iss": ISSUER}, "state"),
        ({"code": "abc", "state": "{state}", "iss": "https://evil.example"}, "iss"),
        ({"code": "abc", "state": "{state}"}, "iss"),  # promised by the metadata, missing
        ({"state": "{state}", "iss": ISSUER}, "code"),
        ({"code": "", "state": "{state}", "iss": ISSUER}, "code"),
        # A forged error must not be believed either: state is checked first.
        ({"error": "access_denied", "state": "forged", "iss": ISSUER}, "state"),
    ],
)
def test_callback_checks(
    request_: AuthorizationRequest, params: dict[str, str], check: str
) -> None:
    filled = {k: v.format(state=request_.state) for k, v in params.items()}
    with pytest.raises(AuthorizationResponseError) as caught:
        parse_authorization_response(request_, callback(**filled))
    assert caught.value.check == check


def test_repeated_parameter_is_refused(request_: AuthorizationRequest) -> None:
    url = callback(code="abc", state=request_.state, iss=ISSUER) + "&code=other"
    with pytest.raises(AuthorizationResponseError) as caught:
        parse_authorization_response(request_, url)
    assert caught.value.check == "code"


def test_iss_may_be_absent_when_the_provider_does_not_promise_it(
    request_: AuthorizationRequest,
) -> None:
    lenient = replace(request_, iss_parameter_required=False)
    assert (
        parse_authorization_response(lenient, callback(code="abc", state=request_.state)) == "abc"
    )


def test_access_denied_becomes_authorization_denied(request_: AuthorizationRequest) -> None:
    url = callback(
        error="access_denied", error_description="refusé", state=request_.state, iss=ISSUER
    )
    with pytest.raises(AuthorizationDenied) as caught:
        parse_authorization_response(request_, url)
    assert (caught.value.error, caught.value.description) == ("access_denied", "refusé")


def test_other_errors_become_oauth_errors(request_: AuthorizationRequest) -> None:
    url = callback(error="invalid_scope", state=request_.state, iss=ISSUER)
    with pytest.raises(OAuthError) as caught:
        parse_authorization_response(request_, url)
    assert not isinstance(caught.value, AuthorizationDenied)
    assert caught.value.error == "invalid_scope"
