"""Pushed authorization requests (RFC 9126): the request's parameters go to the provider
over the back channel, and the browser opens on `client_id` + `request_uri` alone.
"""

from __future__ import annotations

from dataclasses import replace

import httpx

from ._authorization import AuthorizationRequest, pushed_authorization_url
from ._exceptions import ProviderError
from ._http import post_form
from ._metadata import ProviderMetadata
from ._tokens import raise_for_oauth_error


def push_authorization_request(
    http: httpx.Client, metadata: ProviderMetadata, request: AuthorizationRequest
) -> AuthorizationRequest:
    """POST `request`'s parameters to the provider's PAR endpoint (a public client names
    itself with `client_id`, §2.1) and return the request whose `url` carries only
    `client_id` and the `request_uri` answered (§4).

    The DPoP key is bound later, by the proof on the code exchange (RFC 9449 §10.1 makes
    `dpop_jkt` optional).
    """
    endpoint = metadata.pushed_authorization_request_endpoint
    if endpoint is None:
        raise ProviderError(f"{metadata.issuer} publishes no pushed_authorization_request_endpoint")
    status_code, data = post_form(http, endpoint, dict(request.parameters))
    raise_for_oauth_error(status_code, data)
    request_uri = data.get("request_uri")
    if not isinstance(request_uri, str) or not request_uri:
        raise ProviderError("the pushed authorization response has no request_uri")
    url = pushed_authorization_url(metadata, request.client_id, request_uri)
    return replace(request, url=url)
