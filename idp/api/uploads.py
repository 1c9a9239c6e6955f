"""Reading a `multipart/form-data` upload with its limits enforced while it streams in.

Starlette's parser (python-multipart underneath) does the parsing; it bounds the text fields
but not a file, which it spools to disk however large. So the body it reads is cut off once
it passes the file limit plus a small envelope for the other fields and part headers (a
`Content-Length` above that is refused before reading anything), and the file itself is then
held to the exact limit. At most one file part and a few short fields; a repeated field is
refused rather than silently dropped.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass
from typing import Final

from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import ClientDisconnect, Request

from idp.api.problems import Problem, invalid_params

MULTIPART: Final = "multipart/form-data"
FILE_FIELD: Final = "file"
ENVELOPE_BYTES: Final = 64 * 1024  # the other fields and every part's headers
FIELD_BYTES: Final = 4 * 1024
MAX_FIELDS: Final = 8


class _TooLarge(Exception):
    pass


@dataclass(frozen=True)
class Upload:
    fields: dict[str, str]
    file_name: str  # as sent: `idp.domain.submissions.clean_file_name` makes it presentable
    content: bytes


def too_large(max_bytes: int) -> Problem:
    return Problem(
        413,
        "File too large",
        f"The file is larger than the {max_bytes} bytes this service accepts.",
        slug="file-too-large",
        max_bytes=max_bytes,
    )


def malformed(detail: str) -> Problem:
    return Problem(400, "Malformed multipart body", detail, slug="malformed-multipart")


async def _bounded(stream: AsyncIterator[bytes], limit: int) -> AsyncGenerator[bytes, None]:
    received = 0
    async for chunk in stream:
        received += len(chunk)
        if received > limit:
            raise _TooLarge()
        yield chunk


def _check_headers(request: Request, limit: int) -> None:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != MULTIPART:
        raise Problem(
            415,
            "Unsupported media type",
            f"Send the submission as {MULTIPART}.",
            slug="unsupported-media-type",
        )
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > limit:
        raise _TooLarge()


async def read_upload(request: Request, max_bytes: int) -> Upload:
    """The upload's text fields and its one `file` part, or a `Problem` (400, 413, 415,
    422)."""
    limit = max_bytes + ENVELOPE_BYTES
    try:
        _check_headers(request, limit)
        parser = MultiPartParser(
            request.headers,
            _bounded(request.stream(), limit),
            max_files=1,
            max_fields=MAX_FIELDS,
            max_part_size=FIELD_BYTES,
        )
        form = await parser.parse()
    except _TooLarge:
        raise too_large(max_bytes) from None
    except MultiPartException as error:
        raise malformed(error.message) from None
    except ClientDisconnect:
        raise malformed("The upload was interrupted.") from None
    try:
        names = [name for name, _ in form.multi_items()]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise malformed(f"Repeated fields: {', '.join(repeated)}.")
        upload = form.get(FILE_FIELD)
        if not isinstance(upload, UploadFile):
            raise Problem(
                422,
                "Invalid parameters",
                f"The {FILE_FIELD!r} part must be a file.",
                slug="invalid-parameters",
                invalid_params=invalid_params((FILE_FIELD, "a file part is required")),
            )
        if (upload.size or 0) > max_bytes:
            raise too_large(max_bytes)
        content = await upload.read()
        fields = {name: value for name, value in form.multi_items() if isinstance(value, str)}
        return Upload(fields, upload.filename or "", content)
    finally:
        await form.close()
