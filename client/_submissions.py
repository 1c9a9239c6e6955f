"""Sage EDI Online from the desktop: send a declaration or banking file (`submit`) and list the
submissions (`list_submissions`) through the submissions API of the provider's deployment.

The functions take an `httpx.Client` that authenticates as the user, typically
`httpx.Client(auth=BearerAuth(session))` (the access token needs the `edi` scope). Refusals
come back as RFC 9457 problem details and become `SubmissionRefused`; a sign-in the API no
longer accepts becomes `SignInRequired`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from ._exceptions import ProviderError, SignInRequired, SubmissionRefused
from ._http import _send

API_PATH = "/api/v1"
PROBLEM_JSON = "application/problem+json"


def submissions_url(issuer: str) -> str:
    """Return the URL of the submissions collection of the provider `issuer`."""
    return issuer.rstrip("/") + API_PATH + "/submissions"


def _optional_text(value: object) -> str | None:
    return value if isinstance(value, str) else None


@dataclass(frozen=True)
class Submission:
    """One submission (« envoi ») as the API describes it; `received_at` in UNIX seconds."""

    id: str
    status: str
    kind: str
    customer_code: str
    customer_name: str
    file_name: str
    size: int
    sha256: str
    notification_email: str
    received_at: float
    sender_name: str | None
    sender_email: str | None

    @classmethod
    def from_json(cls, data: object) -> Submission:
        """Build from the API's JSON; `ProviderError` if it is not a submission."""
        if not isinstance(data, Mapping):
            raise ProviderError("the submissions API answered a submission that is not an object")
        sender = data.get("sender") or {}
        if not isinstance(sender, Mapping):
            sender = {}
        try:
            received = datetime.fromisoformat(str(data["received_at"]).replace("Z", "+00:00"))
            return cls(
                id=str(data["id"]),
                status=str(data["status"]),
                kind=str(data["kind"]),
                customer_code=str(data["customer_code"]),
                customer_name=str(data["customer_name"]),
                file_name=str(data["file_name"]),
                size=int(data["size"]),
                sha256=str(data["sha256"]),
                notification_email=str(data["notification_email"]),
                received_at=received.timestamp(),
                sender_name=_optional_text(sender.get("name")),
                sender_email=_optional_text(sender.get("email")),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise ProviderError(
                f"the submissions API answered an invalid submission: {error!r}"
            ) from error


@dataclass(frozen=True)
class SubmissionPage:
    """Submissions, newest first; pass `next_cursor` to `list_submissions` for more."""

    items: tuple[Submission, ...]
    next_cursor: str | None


def _problem(response: httpx.Response) -> SubmissionRefused:
    try:
        body = json.loads(response.content)
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    pairs = body.get("invalid_params")
    invalid = tuple(
        (str(p.get("name", "")), str(p.get("reason", "")))
        for p in (pairs if isinstance(pairs, list) else [])
        if isinstance(p, dict)
    )
    return SubmissionRefused(
        response.status_code,
        str(body.get("title") or response.reason_phrase),
        str(body.get("detail") or ""),
        problem_type=str(body.get("type") or "about:blank"),
        invalid_params=invalid,
    )


def _answer(response: httpx.Response) -> Any:
    """The JSON of a success, or the library's exception for a refusal."""
    if response.status_code == 401:
        raise SignInRequired(
            f"the submissions API refused the sign-in ({_problem(response).detail or 401}); "
            "please sign in again"
        )
    media_type = response.headers.get("content-type", "").split(";")[0].strip()
    if 400 <= response.status_code < 500 and media_type == PROBLEM_JSON:
        raise _problem(response)
    if not response.is_success:
        raise ProviderError(f"the submissions API answered {response.status_code}")
    try:
        return json.loads(response.content)
    except ValueError as error:
        raise ProviderError("the submissions API answered a non-JSON body") from error


def submit(
    http: httpx.Client,
    file: str | Path,
    kind: str,
    customer: str,
    *,
    issuer: str,
    notification_email: str | None = None,
) -> Submission:
    """Send `file` as a submission of `kind` (`DSN`, `TVA`, `BANK_REMITTANCE` …) for the
    customer account `customer`, and return it as received.

    `notification_email` defaults, at the API, to the user's own. The request is never
    retried: the file may have been received even if the answer was lost.
    """
    path = Path(file)
    fields = {"kind": kind, "customer_code": customer}
    if notification_email is not None:
        fields["notification_email"] = notification_email
    files = {"file": (path.name, path.read_bytes(), "application/octet-stream")}
    request = http.build_request("POST", submissions_url(issuer), data=fields, files=files)
    return Submission.from_json(_answer(_send(http, request)))


def list_submissions(
    http: httpx.Client,
    *,
    issuer: str,
    customer: str | None = None,
    kind: str | None = None,
    limit: int | None = None,
    cursor: str | None = None,
) -> SubmissionPage:
    """Return one page of the submissions the user may see, newest first, optionally only
    those of one `customer` account or of one `kind`."""
    wanted = {"customer_code": customer, "kind": kind, "limit": limit, "cursor": cursor}
    params = {name: str(value) for name, value in wanted.items() if value is not None}
    request = http.build_request("GET", submissions_url(issuer), params=params)
    data = _answer(_send(http, request))
    if not isinstance(data, dict) or not isinstance(data.get("items"), list):
        raise ProviderError("the submissions API answered an invalid page")
    next_cursor = data.get("next_cursor")
    return SubmissionPage(
        items=tuple(Submission.from_json(item) for item in data["items"]),
        next_cursor=next_cursor if isinstance(next_cursor, str) else None,
    )
