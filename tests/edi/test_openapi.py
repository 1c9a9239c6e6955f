"""`/api/v1/openapi.json`: a valid OpenAPI 3.1 document that describes exactly the API's
routes, kinds, limits and problem types, and that the API's answers conform to."""

from __future__ import annotations

from typing import Any

import httpx
from openapi_schema_validator import OAS31Validator
from openapi_spec_validator import validate
from starlette.applications import Starlette
from starlette.routing import Route

from idp.api.problems import PROBLEM_TYPES
from idp.domain.submissions import SubmissionKind
from tests.edi.conftest import MAX_BYTES, Edi
from tests.edi.helpers import API, bearer, upload


async def _document(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    document: dict[str, Any] = response.json()
    return document


async def test_the_document_is_valid_openapi_3_1(client: httpx.AsyncClient) -> None:
    document = await _document(client)
    assert document["openapi"] == "3.1.0"
    validate(document)  # raises on any violation of the OpenAPI 3.1 schema
    assert document["servers"] == [{"url": "http://127.0.0.1:8000/api/v1"}]


async def test_it_describes_exactly_the_routes(client: httpx.AsyncClient, app: Starlette) -> None:
    document = await _document(client)
    described = {
        (f"/api/v1{path}", method.upper())
        for path, operations in document["paths"].items()
        for method in operations
    }
    served = {
        (route.path, method)
        for route in app.routes
        if isinstance(route, Route) and route.path.startswith("/api/v1/submissions")
        for method in (route.methods or set()) - {"HEAD"}
    }
    assert described == served


async def test_it_uses_the_code_s_enums_and_limits(client: httpx.AsyncClient) -> None:
    document = await _document(client)
    schemas = document["components"]["schemas"]
    assert schemas["SubmissionKind"]["enum"] == [str(kind) for kind in SubmissionKind]
    post = document["paths"]["/submissions"]["post"]
    assert str(MAX_BYTES) in post["responses"]["413"]["description"]
    for slug in PROBLEM_TYPES:
        assert f"/api/v1/problems/{slug}" in schemas["Problem"]["description"]
    flows = document["components"]["securitySchemes"]["sageid"]["flows"]
    assert flows["authorizationCode"]["tokenUrl"] == "http://127.0.0.1:8000/token"


def _validator(document: dict[str, Any], schema: str) -> OAS31Validator:
    """A schema of the document, with its `#/components/...` references resolvable."""
    root = {**document, "$ref": f"#/components/schemas/{schema}"}
    return OAS31Validator(root)


async def test_answers_match_their_schemas(client: httpx.AsyncClient, edi: Edi) -> None:
    document = await _document(client)
    token = await edi.token(edi.marie)
    created = await upload(client, token)
    _validator(document, "Submission").validate(created.json())
    listed = await client.get(API, headers=bearer(token))
    _validator(document, "SubmissionPage").validate(listed.json())
    refused = await upload(client, token, customer="C9999999")
    _validator(document, "Problem").validate(refused.json())
