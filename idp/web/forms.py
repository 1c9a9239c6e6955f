"""Reading `application/x-www-form-urlencoded` bodies: bounded, strict, duplicates kept; a
page's form through `posted_form`, which checks its CSRF token (`idp.web.csrf`) first."""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.requests import Request

from idp.context import context
from idp.i18n import N_
from idp.web.csrf import FIELD as CSRF_FIELD

MAX_FORM_BYTES = 64 * 1024
MAX_FIELDS = 100
FORM_TYPE = "application/x-www-form-urlencoded"

Form = list[tuple[str, str]]


class BadForm(Exception):
    """The body is not a readable urlencoded form (wrong type, too large, not UTF-8)."""


async def read_form(request: Request) -> Form:
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


async def posted_form(request: Request) -> Form:
    """A form posted by one of our pages: read, and its CSRF token checked (`CsrfError`)."""
    form = await read_form(request)
    context(request).csrf.verify(request, first(form, CSRF_FIELD))
    return form


def first(items: Form, name: str, default: str = "") -> str:
    return next((value for key, value in items if key == name), default)
