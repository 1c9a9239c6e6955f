"""`read_form`: urlencoded only, bounded across chunks, strict UTF-8, repeated fields kept."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from starlette.requests import Request
from starlette.types import Message

from idp.web.forms import FORM_TYPE, MAX_FIELDS, MAX_FORM_BYTES, BadForm, read_form


def request(chunks: Sequence[bytes], content_type: str = FORM_TYPE) -> Request:
    messages: list[Message] = [
        {"type": "http.request", "body": chunk, "more_body": n < len(chunks) - 1}
        for n, chunk in enumerate(chunks)
    ]

    async def receive() -> Message:
        return messages.pop(0)

    headers = [(b"content-type", content_type.encode())]
    return Request({"type": "http", "method": "POST", "headers": headers}, receive)


@pytest.mark.parametrize(
    ("chunks", "content_type", "expected"),
    [
        ([b"a=1&b=2&a=3"], FORM_TYPE, [("a", "1"), ("b", "2"), ("a", "3")]),
        (
            [b"grant_ty", b"pe=client_", b"credentials"],
            FORM_TYPE,
            [("grant_type", "client_credentials")],
        ),
        (
            [b"x=%C3%A9+%2B&y="],
            "Application/X-WWW-Form-Urlencoded; charset=UTF-8",
            [("x", "é +"), ("y", "")],
        ),
        ([b""], FORM_TYPE, []),
        ([b"a" * MAX_FORM_BYTES], FORM_TYPE, [("a" * MAX_FORM_BYTES, "")]),
    ],
    ids=["repeated-kept", "chunked", "decoded", "empty", "at-the-limit"],
)
async def test_read(
    chunks: list[bytes], content_type: str, expected: list[tuple[str, str]]
) -> None:
    assert await read_form(request(chunks, content_type)) == expected


@pytest.mark.parametrize(
    ("chunks", "content_type"),
    [
        ([b"a=1"], "application/json"),
        ([b"a=1"], "multipart/form-data; boundary=x"),
        ([b"a" * (MAX_FORM_BYTES + 1)], FORM_TYPE),
        ([b"a" * (MAX_FORM_BYTES // 2), b"b" * (MAX_FORM_BYTES // 2 + 1)], FORM_TYPE),
        ([b"a=\xff"], FORM_TYPE),
        ([b"a=%FF"], FORM_TYPE),
        ([b"a=1&" * MAX_FIELDS + b"a=1"], FORM_TYPE),
    ],
    ids=[
        "json",
        "multipart",
        "too-large",
        "too-large-in-chunks",
        "not-utf8",
        "escaped-not-utf8",
        "too-many-fields",
    ],
)
async def test_refused(chunks: list[bytes], content_type: str) -> None:
    with pytest.raises(BadForm):
        await read_form(request(chunks, content_type))
