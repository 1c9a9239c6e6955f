"""Errors render here, and only here.

- Protocol endpoints answer RFC 6749 JSON (`error`, `error_description`) with `no-store`:
  they raise an `OAuth2Error`, rendered by `oauth_error_handler` (`idp.web.oauth_response`).
- The submissions API (`/api/v1`) answers RFC 9457 problem details (`idp.api.problems`).
- Pages answer a friendly page in the user's language.
- Anything unexpected is logged once with its request id (`idp.web.unexpected`) and shown
  as a generic error: never a traceback, and never the request's secrets.
"""

from __future__ import annotations

from authlib.oauth2.rfc6749 import OAuth2Error
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from idp.api.problems import API_ROOT, Problem, problem_response
from idp.i18n import N_
from idp.oauth.errors import ProtocolError
from idp.web.csrf import CsrfError
from idp.web.forms import BadForm
from idp.web.oauth_response import oauth_error_response
from idp.web.protocol_errors import ProtocolErrorText, explain

# Paths whose clients are programs, not people: they get JSON.
API_PREFIXES: tuple[str, ...] = (
    "/token",
    "/revoke",
    "/introspect",
    "/userinfo",
    "/device_authorization",
    "/par",
    "/register",
    "/api/",
)
API_PREFIXES += ("/healthz", "/readyz", "/metrics")


def _oauth_error(
    error: str, description: str, status: int = 400, headers: dict[str, str] | None = None
) -> Response:
    return oauth_error_response(ProtocolError(error, description, status, headers))


class PageError(Exception):
    """A page-level refusal: a title and a message (message ids, translated when rendered),
    maybe a `reason` (a message id too: what exactly was wrong), and a `code` shown as is on a
    detail line (an RFC 6749 error code, a request reference): never an English sentence."""

    def __init__(
        self,
        status: int,
        title: str,
        message: str,
        code: str | None = None,
        *,
        reason: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.title = title
        self.message = message
        self.code = code
        self.reason = reason

    @classmethod
    def protocol(
        cls, status: int, title: str, message: str, explained: ProtocolErrorText
    ) -> PageError:
        return cls(status, title, message, explained.code, reason=explained.reason)


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith(API_PREFIXES)


def error_page(request: Request, error: PageError) -> Response:
    from idp.context import context  # the app context imports this module

    return context(request).templates.render(
        request,
        "error.html",
        {
            "title": error.title,
            "message": error.message,
            "reason": error.reason,
            "code": error.code,
        },
        status=error.status,
    )


def _api_problem(request: Request, problem: Problem) -> Response:
    from idp.context import context  # the app context imports this module

    return problem_response(problem, context(request).settings.issuer)


async def problem_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Problem)
    return _api_problem(request, exc)


async def page_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, PageError)
    return error_page(request, exc)


async def oauth_error_handler(request: Request, exc: Exception) -> Response:
    """Every `OAuth2Error` an endpoint raises, or Authlib does (`SageAuthorizationServer.
    handle_error_response`): RFC 6749 §5.2 JSON; a page where a person is (a path of pages)."""
    assert isinstance(exc, OAuth2Error)
    if _wants_json(request):
        return oauth_error_response(exc)
    title, message = PAGE_STATUSES.get(exc.status_code, PAGE_STATUSES[400])
    explained = explain(exc.error, exc.get_error_description())
    return error_page(request, PageError.protocol(exc.status_code, title, message, explained))


async def bad_form_handler(request: Request, exc: Exception) -> Response:
    if _wants_json(request):
        return _oauth_error("invalid_request", str(exc))
    return error_page(
        request,
        PageError(400, N_("Invalid request"), N_("The form could not be read."), reason=str(exc)),
    )


async def csrf_handler(request: Request, exc: Exception) -> Response:
    return error_page(
        request,
        PageError(
            403,
            N_("Session expired"),
            N_(
                "This form has expired or was sent from another site. Go back, reload the page "
                "and try again."
            ),
        ),
    )


# Title and message of a page answering an HTTP error status (the title is not said twice).
PAGE_STATUSES = {
    400: (
        N_("Request refused"),
        N_("This request cannot be accepted. Go back to the previous page and try again."),
    ),
    404: (
        N_("Page not found"),
        N_("This address leads nowhere: the link may be mistyped or out of date."),
    ),
    405: (
        N_("Method not allowed"),
        N_("This page cannot be used this way. Go back to the previous page and try again."),
    ),
}


async def http_exception_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if request.url.path.startswith(API_ROOT):
        problem = Problem(exc.status_code, str(exc.detail), str(exc.detail), headers=exc.headers)
        return _api_problem(request, problem)
    # The exception's own headers (`Allow` on a 405, RFC 9110 §15.5.6) go with every form.
    headers = dict(exc.headers or {})
    if _wants_json(request):
        code = "invalid_request" if exc.status_code < 500 else "server_error"
        return _oauth_error(code, str(exc.detail), exc.status_code, headers)
    title, message = PAGE_STATUSES.get(exc.status_code, PAGE_STATUSES[400])
    page = error_page(request, PageError(exc.status_code, title, message))
    page.headers.update(headers)
    return page


def host_refused(request: Request) -> Response:
    """A `Host` this server does not answer for (`idp.web.hosts`), in the path's format."""
    detail = "Invalid host header"
    if request.url.path.startswith(API_ROOT):
        return _api_problem(request, Problem(400, "Bad Request", detail))
    if _wants_json(request):
        return _oauth_error("invalid_request", detail)
    title = N_("Request refused")
    return error_page(request, PageError(400, title, title))


def unexpected_error_response(request: Request, request_id: str) -> Response:
    """What the client sees of an unexpected exception (`idp.web.unexpected` logs it): a
    generic error naming the request id, never a traceback."""
    if request.url.path.startswith(API_ROOT):
        detail = f"Unexpected error (request {request_id})."
        return _api_problem(request, Problem(500, "Internal Server Error", detail))
    if _wants_json(request):
        return _oauth_error("server_error", f"Unexpected error (request {request_id}).", 500)
    return error_page(
        request,
        PageError(
            500,
            N_("Something went wrong"),
            N_("Something went wrong on our side. Please try again in a moment."),
            request_id,
        ),
    )


EXCEPTION_HANDLERS = {
    PageError: page_error_handler,
    OAuth2Error: oauth_error_handler,
    Problem: problem_handler,
    BadForm: bad_form_handler,
    CsrfError: csrf_handler,
    HTTPException: http_exception_handler,
}
