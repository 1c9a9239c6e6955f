"""`/api/v1/submissions`: send a declaration or banking file for a customer account, list and
read the submissions the caller may see (issue 8; seed, étape 4: « une déclaration émise
depuis la paie sera visible sur le portail Sage EDI Online »).

A submission is accepted only from a Sage ID referenced to the customer account, with a
profile that allows its kind (`idp.domain.submissions.KIND_RULES`). It is stored, file
included, in one transaction with its notification email. A submission the caller may not see
answers 404 exactly like one that does not exist.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from typing import Any
from urllib.parse import urlencode

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from idp.api.bearer import Caller, authenticate
from idp.api.problems import API_ROOT, HEADERS, Problem, invalid_params
from idp.api.uploads import Upload, read_upload
from idp.context import AppContext, context
from idp.domain.referencing import normalise_identifier
from idp.domain.submissions import (
    KIND_RULES,
    PAGE_SIZE_DEFAULT,
    PAGE_SIZE_MAX,
    SNIFF_BYTES,
    Cursor,
    FileRefusal,
    ListFilter,
    Status,
    SubmissionKind,
    check_file,
    check_notification_email,
    clean_file_name,
    content_type_for,
    kind_of,
    may_submit,
    parse_instant,
    records_notification_email,
    rfc3339,
)
from idp.store.submissions import NewSubmission, SubmissionRecord

# ASCII digits only: str.isdigit() accepts "²", which int() refuses.
DIGITS = re.compile(r"[0-9]{1,3}")

COLLECTION = f"{API_ROOT}/submissions"
LIST_PARAMETERS = ("customer_code", "kind", "received_from", "received_to", "limit", "cursor")


def as_json(record: SubmissionRecord) -> dict[str, Any]:
    """A submission as the API shows it (the OpenAPI `Submission` schema)."""
    sender = None
    if record.sender_id is not None:
        sender = {"name": record.sender_name, "email": record.sender_email}
    return {
        "id": record.id,
        "status": record.status,
        "kind": record.kind,
        "customer_code": record.customer_code,
        "customer_name": record.customer_name,
        "file_name": record.file_name,
        "content_type": record.content_type,
        "size": record.size,
        "sha256": record.sha256,
        "notification_email": record.notification_email,
        "sender": sender,
        "client_id": record.client_id,
        "received_at": rfc3339(record.received_at),
    }


def _invalid(*pairs: tuple[str, str]) -> Problem:
    detail = "; ".join(f"{name}: {reason}" for name, reason in pairs)
    return Problem(
        422,
        "Invalid parameters",
        detail,
        slug="invalid-parameters",
        invalid_params=invalid_params(*pairs),
    )


def _file_refused(kind: SubmissionKind, refusal: FileRefusal) -> Problem:
    if refusal is FileRefusal.NO_NAME:
        return _invalid(("file", "the file part needs a file name"))
    if refusal is FileRefusal.EMPTY:
        return _invalid(("file", "the file is empty"))
    if refusal is FileRefusal.EXTENSION:
        allowed = ", ".join(KIND_RULES[kind].extensions)
        detail = f"A {kind} file must be named *{allowed.replace(', ', ', *')}."
    else:
        detail = "This file is not a declaration or banking file (executable, archive, binary)."
    return Problem(
        415,
        "File type refused",
        detail,
        slug="file-type-refused",
        accepted_extensions=list(KIND_RULES[kind].extensions),
    )


def _fields(upload: Upload, caller: Caller) -> tuple[SubmissionKind, str, str]:
    """The kind, customer code and notification email (the sender's own by default)."""
    problems: list[tuple[str, str]] = []
    kind = kind_of(upload.fields.get("kind", ""))
    if kind is None:
        problems.append(("kind", "one of " + ", ".join(SubmissionKind)))
    code = normalise_identifier(upload.fields.get("customer_code", ""))
    if not code:
        problems.append(("customer_code", "a Sage customer code is required"))
    raw_email = upload.fields.get("notification_email", "").strip()
    email = check_notification_email(raw_email or caller.user.email)
    if email is None:
        problems.append(("notification_email", "not an email address"))
    if problems:
        raise _invalid(*problems)
    assert kind is not None and email is not None
    return kind, code, email


def _authorise(caller: Caller, kind: SubmissionKind, code: str) -> str:
    """The customer's name, if the caller may send it this kind of file."""
    access = caller.access.get(code)
    if access is None:
        raise Problem(
            403,
            "Not referenced to this customer account",
            f"Your Sage ID is not referenced to the customer account {code}.",
            slug="not-referenced",
        )
    if not may_submit(access.permissions, kind):
        permission = KIND_RULES[kind].permission
        raise Problem(
            403,
            "Permission denied",
            f"Your profile at {code} ({access.profile}) does not allow {kind} files "
            f"(it needs {permission}).",
            slug="permission-denied",
            required_permission=str(permission),
        )
    return access.customer_name


def _sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


async def create_submission(request: Request) -> Response:
    ctx = context(request)
    caller = await authenticate(request)  # before reading a byte of the upload
    async with ctx.upload_slots.hold():
        return await _receive(request, ctx, caller)


async def _receive(request: Request, ctx: AppContext, caller: Caller) -> Response:
    upload = await read_upload(request, ctx.settings.submission_max_bytes)
    kind, code, email = _fields(upload, caller)
    customer_name = _authorise(caller, kind, code)
    file_name = clean_file_name(upload.file_name)
    if refusal := check_file(kind, file_name, upload.content[:SNIFF_BYTES]):
        raise _file_refused(kind, refusal)
    # Hashing 20 MB takes ~10 ms: off the event loop (hashlib releases the GIL).
    digest = await anyio.to_thread.run_sync(_sha256, upload.content)
    new = NewSubmission(
        id=str(uuid.uuid4()),
        customer_code=code,
        kind=str(kind),
        status=str(Status.RECEIVED),
        file_name=file_name,
        content_type=content_type_for(file_name),
        size=len(upload.content),
        sha256=digest,
        notification_email=email,
        submitted_by=caller.user.id,
        client_id=caller.client_id,
        received_at=ctx.clock.now(),
    )
    permissions = caller.access[code].permissions
    record_email = records_notification_email(permissions, kind)
    await ctx.store.submissions.add(new, upload.content, record_email=record_email)
    record = new.as_record(customer_name, caller.user.name, caller.user.email)
    location = ctx.settings.url(f"{COLLECTION}/{new.id}")
    return JSONResponse(as_json(record), 201, headers={**HEADERS, "Location": location})


def _bad_query(name: str, reason: str) -> Problem:
    return Problem(
        400,
        "Invalid query",
        f"{name}: {reason}",
        slug="invalid-query",
        invalid_params=invalid_params((name, reason)),
    )


def _list_query(request: Request) -> tuple[ListFilter, Cursor | None, int]:
    params = request.query_params
    for name in LIST_PARAMETERS:
        if len(params.getlist(name)) > 1:
            raise _bad_query(name, "given more than once")
    code = normalise_identifier(params["customer_code"]) if "customer_code" in params else None
    kind = None
    if "kind" in params and (kind := kind_of(params["kind"])) is None:
        raise _bad_query("kind", "one of " + ", ".join(SubmissionKind))
    bounds: dict[str, float] = {}
    for name in ("received_from", "received_to"):
        if name in params:
            try:
                bounds[name] = parse_instant(params[name])
            except ValueError:
                raise _bad_query(name, "an RFC 3339 date-time or a date") from None
    raw_limit = params.get("limit", str(PAGE_SIZE_DEFAULT))
    if not DIGITS.fullmatch(raw_limit) or not 1 <= int(raw_limit) <= PAGE_SIZE_MAX:
        raise _bad_query("limit", f"a whole number from 1 to {PAGE_SIZE_MAX}")
    cursor = None
    if "cursor" in params:
        try:
            cursor = Cursor.decode(params["cursor"])
        except ValueError:
            raise _bad_query("cursor", "use the next_cursor of a previous page") from None
    where = ListFilter(code, kind, bounds.get("received_from"), bounds.get("received_to"))
    return where, cursor, int(raw_limit)


async def list_submissions(request: Request) -> Response:
    ctx = context(request)
    caller = await authenticate(request)
    where, cursor, limit = _list_query(request)
    page = await ctx.store.submissions.page(caller.visibility, where, after=cursor, limit=limit)
    next_cursor = page.next_cursor.encode() if page.next_cursor else None
    headers = dict(HEADERS)
    if next_cursor is not None:  # RFC 8288 link to the next page, filters kept
        query = request.query_params.multi_items()
        kept = [(k, v) for k, v in query if k != "cursor"] + [("cursor", next_cursor)]
        link = ctx.settings.url(COLLECTION) + "?" + urlencode(kept)
        headers["Link"] = f'<{link}>; rel="next"'
    body = {"items": [as_json(r) for r in page.items], "next_cursor": next_cursor}
    return JSONResponse(body, headers=headers)


async def get_submission(request: Request) -> Response:
    ctx = context(request)
    caller = await authenticate(request)
    record = await ctx.store.submissions.get(
        request.path_params["submission_id"], caller.visibility
    )
    if record is None:
        raise Problem(404, "Not Found", "No submission with this id is visible to you.")
    return JSONResponse(as_json(record), headers=HEADERS)
