"""`GET /api/v1/openapi.json`: the submissions API described in OpenAPI 3.1, computed from the
settings and the same enums, limits and problem types the handlers use, so that it cannot
advertise what is not there (tests check it against the routes and validate it)."""

from __future__ import annotations

import functools
import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from idp.api.problems import API_ROOT, MEDIA_TYPE, PROBLEM_TYPES, problem_type
from idp.api.uploads import ENVELOPE_BYTES
from idp.context import context
from idp.domain.submissions import KIND_RULES, PAGE_SIZE_DEFAULT, PAGE_SIZE_MAX, SubmissionKind
from shared.scopes import EDI


def _problem(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }


def _json(description: str, schema: str, **extra: Any) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
        **extra,
    }


def _kinds_table() -> str:
    rows = [
        f"| `{kind}` | `{rule.permission}` | {', '.join(rule.extensions)} |"
        for kind, rule in KIND_RULES.items()
    ]
    return "\n".join(["| kind | permission | extensions |", "|---|---|---|", *rows])


def _schemas(issuer: str) -> dict[str, Any]:
    string = {"type": "string"}
    return {
        "SubmissionKind": {"type": "string", "enum": [str(k) for k in SubmissionKind]},
        "Submission": {
            "type": "object",
            "required": [
                "id",
                "status",
                "kind",
                "customer_code",
                "customer_name",
                "file_name",
                "content_type",
                "size",
                "sha256",
                "notification_email",
                "sender",
                "client_id",
                "received_at",
            ],
            "properties": {
                "id": {"type": "string", "format": "uuid"},
                "status": {"type": "string", "enum": ["received"]},
                "kind": {"$ref": "#/components/schemas/SubmissionKind"},
                "customer_code": string,
                "customer_name": string,
                "file_name": string,
                "content_type": string,
                "size": {"type": "integer", "minimum": 1},
                "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
                "notification_email": {"type": "string", "format": "email"},
                "sender": {
                    "description": "Who sent it; null once their Sage ID is deleted.",
                    "type": ["object", "null"],
                    "properties": {"name": string, "email": {"type": "string"}},
                },
                "client_id": {
                    "description": "The application that sent it.",
                    "type": ["string", "null"],
                },
                "received_at": {"type": "string", "format": "date-time"},
            },
        },
        "SubmissionPage": {
            "type": "object",
            "required": ["items", "next_cursor"],
            "properties": {
                "items": {"type": "array", "items": {"$ref": "#/components/schemas/Submission"}},
                "next_cursor": {
                    "description": "Pass as `cursor` for the next page; null on the last page.",
                    "type": ["string", "null"],
                },
            },
        },
        "Problem": {
            "description": "RFC 9457 problem details. `type` is `about:blank` or one of: "
            + ", ".join(
                f"`{problem_type(issuer, slug)}` ({status})"
                for slug, status in PROBLEM_TYPES.items()
            ),
            "type": "object",
            "required": ["type", "title", "status", "detail"],
            "properties": {
                "type": {"type": "string", "format": "uri"},
                "title": string,
                "status": {"type": "integer"},
                "detail": string,
                "invalid_params": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["name", "reason"],
                        "properties": {"name": string, "reason": string},
                    },
                },
            },
        },
    }


def _parameters() -> list[dict[str, Any]]:
    def query(name: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
        return {"name": name, "in": "query", "description": description, "schema": schema}

    date_time = {"type": "string", "examples": ["2026-01-31", "2026-01-31T08:00:00Z"]}
    limit = {
        "type": "integer",
        "minimum": 1,
        "maximum": PAGE_SIZE_MAX,
        "default": PAGE_SIZE_DEFAULT,
    }
    return [
        query("customer_code", "Only this customer account's.", {"type": "string"}),
        query("kind", "Only this kind.", {"$ref": "#/components/schemas/SubmissionKind"}),
        query("received_from", "Received at or after (RFC 3339 date-time or date).", date_time),
        query("received_to", "Received before (RFC 3339 date-time or date).", date_time),
        query("limit", "Page size.", limit),
        query("cursor", "The `next_cursor` of the previous page.", {"type": "string"}),
    ]


def _paths(max_bytes: int) -> dict[str, Any]:
    security = [{"sageid": [EDI]}]
    unauthorised = _problem("No valid access token (`invalid-token`).")
    upload = {
        "type": "object",
        "required": ["file", "kind", "customer_code"],
        "properties": {
            "file": {"type": "string", "contentMediaType": "application/octet-stream"},
            "kind": {"$ref": "#/components/schemas/SubmissionKind"},
            "customer_code": {"type": "string", "examples": ["C0001234"]},
            "notification_email": {
                "description": "Who is notified about this submission; the sender's email by "
                "default. Recorded among the customer's notification emails.",
                "type": "string",
                "format": "email",
            },
        },
    }
    return {
        "/submissions": {
            "post": {
                "operationId": "createSubmission",
                "summary": "Send a declaration or banking file for a customer account",
                "description": "Accepted only from a Sage ID referenced to the customer with a "
                "profile allowing the kind. Files are text: each kind accepts these extensions; "
                "executables, archives and binary files are refused.\n\n" + _kinds_table(),
                "security": security,
                "requestBody": {
                    "required": True,
                    "content": {"multipart/form-data": {"schema": upload}},
                },
                "responses": {
                    "201": _json(
                        "Received.",
                        "Submission",
                        headers={"Location": {"schema": {"type": "string", "format": "uri"}}},
                    ),
                    "400": _problem("Malformed multipart body (`malformed-multipart`)."),
                    "401": unauthorised,
                    "403": _problem(
                        "`insufficient-scope`, `not-referenced` or `permission-denied`."
                    ),
                    "413": _problem(
                        f"The file exceeds {max_bytes} bytes, or the body {max_bytes} + "
                        f"{ENVELOPE_BYTES} (`file-too-large`)."
                    ),
                    "415": _problem("`unsupported-media-type` or `file-type-refused`."),
                    "422": _problem("A missing or invalid field (`invalid-parameters`)."),
                },
            },
            "get": {
                "operationId": "listSubmissions",
                "summary": "The submissions you may see, newest first",
                "description": "Those of the customer accounts where your profile has "
                f"`view_tracking`, and your own elsewhere. At most {PAGE_SIZE_MAX} a page "
                f"({PAGE_SIZE_DEFAULT} by default); follow `next_cursor` (or the `Link` header).",
                "security": security,
                "parameters": _parameters(),
                "responses": {
                    "200": _json("A page.", "SubmissionPage"),
                    "400": _problem("An invalid filter, limit or cursor (`invalid-query`)."),
                    "401": unauthorised,
                    "403": _problem("`insufficient-scope`."),
                },
            },
        },
        "/submissions/{submission_id}": {
            "get": {
                "operationId": "getSubmission",
                "summary": "One submission",
                "security": security,
                "parameters": [
                    {
                        "name": "submission_id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string"},
                    }
                ],
                "responses": {
                    "200": _json("The submission.", "Submission"),
                    "401": unauthorised,
                    "403": _problem("`insufficient-scope`."),
                    "404": _problem("No such submission, or not one you may see."),
                },
            },
        },
    }


@functools.cache
def openapi_document(issuer: str, max_bytes: int) -> bytes:
    document = {
        "openapi": "3.1.0",
        "info": {
            "title": "Sage EDI Online submissions API",
            "version": "1.0.0",
            "description": "Declarations and banking files sent on behalf of a Sage ID. "
            f"Access tokens: RFC 9068 JWTs from {issuer} with the `{EDI}` scope.",
        },
        "servers": [{"url": issuer + API_ROOT}],
        "paths": _paths(max_bytes),
        "components": {
            "schemas": _schemas(issuer),
            "securitySchemes": {
                "sageid": {
                    "type": "oauth2",
                    "flows": {
                        "authorizationCode": {
                            "authorizationUrl": issuer + "/authorize",
                            "tokenUrl": issuer + "/token",
                            "refreshUrl": issuer + "/token",
                            "scopes": {EDI: "Send and track submissions (Sage EDI Online)"},
                        }
                    },
                }
            },
        },
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


async def openapi(request: Request) -> Response:
    settings = context(request).settings
    body = openapi_document(settings.issuer, settings.submission_max_bytes)
    return Response(body, media_type="application/json", headers={"Cache-Control": "max-age=300"})
