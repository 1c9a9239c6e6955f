"""RFC 9457 problem details: how the submissions API says no, rendered here only.

Handlers raise `Problem`; `idp.web.errors` turns it (and, under `/api/v1`, unknown paths,
wrong methods and unexpected errors) into `application/problem+json`, never cached. `type` is
`<issuer>/api/v1/problems/<slug>` (a name, listed in the OpenAPI document, not a page to
fetch: RFC 9457 §3.1.1), or `about:blank` when the HTTP status says it all.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

from starlette.responses import Response

from shared.scopes import EDI_AUDIENCE_PATH

API_ROOT: Final = EDI_AUDIENCE_PATH
MEDIA_TYPE: Final = "application/problem+json"
HEADERS: Final = {"Cache-Control": "no-store", "Pragma": "no-cache"}

# Every slug the API uses, with its status: the OpenAPI document lists them.
PROBLEM_TYPES: Final[dict[str, int]] = {
    "invalid-token": 401,
    "invalid-dpop-proof": 401,  # RFC 9449 §7.1 (issue 16)
    "use-dpop-nonce": 401,  # RFC 9449 §9
    "insufficient-scope": 403,
    "not-referenced": 403,
    "permission-denied": 403,
    "unsupported-media-type": 415,
    "malformed-multipart": 400,
    "invalid-parameters": 422,
    "invalid-query": 400,
    "file-too-large": 413,
    "file-type-refused": 415,
    "uploads-busy": 503,
}


class Problem(Exception):
    """A refusal of the API. `slug` None means `about:blank` (the status says it all)."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str,
        *,
        slug: str | None = None,
        headers: Mapping[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(detail)
        assert slug is None or PROBLEM_TYPES.get(slug) == status, slug
        self.status = status
        self.title = title
        self.detail = detail
        self.slug = slug
        self.headers = dict(headers or {})
        self.extensions = extensions


def problem_type(issuer: str, slug: str | None) -> str:
    return f"{issuer}{API_ROOT}/problems/{slug}" if slug else "about:blank"


def problem_response(problem: Problem, issuer: str) -> Response:
    body = {
        "type": problem_type(issuer, problem.slug),
        "title": problem.title,
        "status": problem.status,
        "detail": problem.detail,
        **problem.extensions,
    }
    return Response(
        json.dumps(body, ensure_ascii=False),
        status_code=problem.status,
        media_type=MEDIA_TYPE,
        headers={**HEADERS, **problem.headers},
    )


def invalid_params(*pairs: tuple[str, str]) -> list[dict[str, str]]:
    """The RFC 9457 §3 example's extension: which parameter, and why."""
    return [{"name": name, "reason": reason} for name, reason in pairs]
