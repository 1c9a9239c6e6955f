"""Reading `application/x-www-form-urlencoded` bodies: bounded, strict, duplicates kept."""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.requests import Request

MAX_FORM_BYTES = 64 * 1024
MAX_FIELDS = 100
FORM_TYPE = "application/x-www-form-urlencoded"


class BadForm(Exception):
    """The body is not a readable urlencoded form (wrong type, too large, not UTF-8)."""


async def read_form(request: Request) -> list[tuple[str, str]]:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != FORM_TYPE:
        raise BadForm(f"the body must be {FORM_TYPE}")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise BadForm("the body is too large")
    try:
        return parse_qsl(
            bytes(body).decode("utf-8"),
            keep_blank_values=True,
            max_num_fields=MAX_FIELDS,
            errors="strict",
        )
    except (UnicodeDecodeError, ValueError) as error:
        raise BadForm("the body is not a valid form") from error


def first(items: list[tuple[str, str]], name: str, default: str = "") -> str:
    return next((value for key, value in items if key == name), default)
