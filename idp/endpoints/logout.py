"""`GET/POST /logout`, the `end_session_endpoint` (OpenID Connect RP-Initiated Logout 1.0):

1. the request is validated by Authlib (`idp.oauth.logout`); an invalid one shows an error
   page and never redirects (§4);
2. without a valid `id_token_hint` for the signed-in user, a page asks the user to confirm
   (CSRF-protected form posting back here, §6);
3. the client's grants are revoked when it asked, the browser session ends, and the user goes
   back to the client's registered `post_logout_redirect_uri` with `state` (§3), or sees a
   signed-out page when there is none or it is not registered.
"""

from __future__ import annotations

from authlib.oauth2.rfc6749 import OAuth2Error
from starlette.requests import Request
from starlette.responses import Response

from idp.context import context
from idp.i18n import N_
from idp.oauth.logout import needs_confirmation
from idp.oauth.requests import ParsedOAuth2Request, duplicated
from idp.web.csrf import FIELD as CSRF_FIELD
from idp.web.errors import PageError
from idp.web.forms import first, read_form
from idp.web.oauth_response import oauth_response
from idp.web.protocol_errors import explain
from idp.web.sessions import current_session, end_session
from idp.web.templating import request_locale

CONFIRM_FIELD = "confirm"


def _invalid_logout_page(error: str, description: str) -> PageError:
    # Past the repeated parameters, Authlib's descriptions are about the `id_token_hint`.
    bad_hint = N_("The proof of sign-in sent by the application is not valid.")
    return PageError.protocol(
        400,
        N_("This sign-out request is not valid"),
        N_(
            "The application that sent you here made a sign-out request we cannot accept. "
            "You are still signed in to Sage ID."
        ),
        explain(error, description, otherwise=bad_hint),
    )


async def logout(request: Request) -> Response:
    ctx = context(request)
    confirmed = False
    if request.method == "POST":
        form = await read_form(request)
        if first(form, CONFIRM_FIELD):
            ctx.csrf.verify(request, first(form, CSRF_FIELD))
            confirmed = True
        items = [(k, v) for k, v in form if k not in (CSRF_FIELD, CONFIRM_FIELD)]
    else:
        items = list(request.query_params.multi_items())
    if repeated := duplicated(items):
        raise _invalid_logout_page("invalid_request", f"Repeated parameter: {repeated[0]}.")
    params = dict(items)
    locale = request_locale(request, params.get("ui_locales"))

    session = await current_session(request)
    oauth_request = ParsedOAuth2Request(
        request.method, ctx.settings.url("/logout"), request.headers, query=items
    )
    oauth_request.user = session.user if session else None
    try:
        validated = await ctx.bridge.run_authlib(
            ctx.server.validate_endpoint_request, "end_session", oauth_request
        )
    except OAuth2Error as error:
        raise _invalid_logout_page(error.error, error.get_error_description() or "") from error

    if not confirmed and needs_confirmation(validated, session.user.id if session else None):
        client = validated.client
        return ctx.templates.render(
            request,
            "logout.html",
            {"client_name": client.name if client else None, "hidden": items},
            locale=locale,
        )

    result = await ctx.bridge.run_authlib(
        ctx.server.create_endpoint_response, "end_session", validated
    )
    if result is not None:
        response = oauth_response(result)
    else:
        not_redirected = bool(params.get("post_logout_redirect_uri"))
        response = ctx.templates.render(
            request, "logout_done.html", {"not_redirected": not_redirected}, locale=locale
        )
    await end_session(request, response, validated.client.client_id if validated.client else None)
    return response
