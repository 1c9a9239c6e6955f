"""Reading `application/x-www-form-urlencoded` bodies: bounded, strict, duplicates kept."""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.requests import Request

from idp.i18n import N_

MAX_FORM_BYTES = 64 * 1024
MAX_FIELDS = 100
FORM_TYPE = "application/x-www-form-urlencoded"


class BadForm(Exception):
    """The body is not a readable urlencoded form (wrong type, too large, not UTF-8)."""


async def read_form(request: Request) -> list[tuple[str, str]]:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != FORM_TYPE:
        raise BadForm(N_("The form was not sent as a web form."))
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise BadForm(N_("The form is too large."))
    try:
        return parse_qsl(
            bytes(body).decode("utf-8"),
            keep_blank_values=True,
            max_num_fields=MAX_FIELDS,
            errors="strict",
        )
    except (UnicodeDecodeError, ValueError) as error:
        raise BadForm(N_("The form is not valid text.")) from error


def first(items: list[tuple[str, str]], name: str, default: str = "") -> str:
    return next((value for key, value in items if key == name), default)
