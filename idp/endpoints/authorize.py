"""`GET/POST /authorize` (RFC 6749 §4.1, OIDC Core §3.1.2), as ordered checks:

1. the request is validated by Authlib; an error is redirected to the client only once its
   redirect URI was validated, otherwise shown as a page (RFC 6749 §4.1.2.1); then the checks
   Authlib leaves to us (`idp.oauth.authorization_checks`: request objects, `response_mode`,
   `prompt`, `claims`, `id_token_hint`), answered in the requested response mode;
2. sign-in: `prompt=login`, `max_age` or no session send the user to sign in (or answer
   `login_required` to `prompt=none`);
3. consent: first-party clients and remembered decisions skip it, `prompt=consent` forces it;
4. the code is issued (with `iss`, RFC 9207).
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

from authlib.oauth2.rfc6749 import AccessDeniedError, InvalidRequestError, OAuth2Error
from authlib.oidc.core.errors import (
    ConsentRequiredError,
    InteractionRequiredError,
    LoginRequiredError,
)
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from idp.accounts.referencing import Outcome, ensure_referenced
from idp.context import AppContext, context
from idp.domain.claims_request import scopes_for
from idp.i18n import N_
from idp.oauth.authorization_checks import (
    check_claims_request,
    check_prompt,
    check_request_objects,
    check_response_mode,
    response_mode,
    verify_id_token_hint,
)
from idp.oauth.grants import AuthenticatedUser
from idp.oauth.profiles import must_push_requests
from idp.oauth.pushed_requests import (
    SIGNATURE_FIELD,
    InvalidRequestURIError,
    is_pushed_reference,
    signature_valid,
    signed,
)
from idp.oauth.requests import ParsedOAuth2Request, duplicated
from idp.oauth.server import OAuthResult
from idp.pages.referencing import congratulations_url, reference_url
from idp.pages.second_factor import second_factor_step
from idp.store.records import ClientRecord, SessionRecord
from idp.web.csrf import FIELD as CSRF_FIELD
from idp.web.errors import PageError
from idp.web.form_post import form_post
from idp.web.forms import first, read_form
from idp.web.protocol_errors import explain
from idp.web.sessions import current_session
from shared.scopes import REFERENCING, SCOPE_CLAIMS

DECISION_FIELD = "decision"
MAX_AGE = re.compile(r"[0-9]{1,10}")
# RFC 6749 Appendix A.3 and A.6 (a URI reference, RFC 3986 characters only). Authlib echoes
# both in its error descriptions, which refuse anything outside RFC 6749's error character
# set (a quote, a backslash, a control or non-ASCII character) by raising instead.
SYNTAX = {
    "response_type": re.compile(r"[A-Za-z0-9_]+( [A-Za-z0-9_]+)*"),
    "redirect_uri": re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+"),
}


def _invalid_request_page(error: OAuth2Error) -> PageError:
    return PageError.protocol(
        400,
        N_("This sign-in request is not valid"),
        N_(
            "The application that sent you here made a request we cannot accept. Go back to "
            "the application and try again; if it keeps happening, contact its publisher."
        ),
        explain(error.error, error.get_error_description()),
    )


def _malformed(params: dict[str, str]) -> str | None:
    for name, syntax in SYNTAX.items():
        if name in params and not syntax.fullmatch(params[name]):
            return f"Malformed parameter: {name}."
    return None


def _needs_sign_in(
    session: SessionRecord | None, prompts: list[str], max_age: str, now: float
) -> bool:
    if session is None or "login" in prompts or "create" in prompts:
        return True
    if max_age:
        return now - session.auth_time > int(max_age)
    return False


def _sign_in_redirect(items: list[tuple[str, str]]) -> Response:
    """Back to /authorize after sign-in, without `prompt=login`, `prompt=create` and `max_age`:
    the fresh sign-in honours them (and `max_age=0` would otherwise loop). `prompt=create`
    (OpenID Connect Prompt Create 1.0) starts at account creation instead of sign-in."""
    page = "/signup" if "create" in dict(items).get("prompt", "").split() else "/signin"
    following = []
    for key, value in items:
        if key == "max_age":
            continue
        if key == "prompt":
            value = " ".join(p for p in value.split() if p not in ("login", "create"))
            if not value:
                continue
        following.append((key, value))
    query = {"next": "/authorize?" + urlencode(following)}
    params = dict(items)
    for name in ("login_hint", "ui_locales"):
        if params.get(name):
            query[name] = params[name]
    return RedirectResponse(f"{page}?" + urlencode(query), status_code=303)


def _consent_page(
    request: Request,
    ctx: AppContext,
    grant: object,
    items: list[tuple[str, str]],
    requested: set[str],
) -> Response:
    client = grant.client  # type: ignore[attr-defined]
    scopes = grant.request.scope.split()  # type: ignore[attr-defined]
    scopes += sorted(requested - set(scopes))  # the scopes of claims asked for by name
    return ctx.templates.render(
        request,
        "consent.html",
        {
            "client_name": client.name,
            "scopes": [s for s in scopes if s != "openid"],
            "scope_claims": SCOPE_CLAIMS,
            "hidden": [(k, v) for k, v in items],
        },
    )


async def _reference_silently(ctx: AppContext, signed_in: AuthenticatedUser) -> None:
    """Seed, étape 3: « à la connexion, votre compte Sage ID va se référencer
    automatiquement », whatever the client asked (issue 18); without the `referencing` scope
    nothing is asked nor shown: the proof form is for clients that asked for it."""
    await ensure_referenced(ctx, signed_in.user)


async def _sign_in_as_hinted(ctx: AppContext, items: list[tuple[str, str]], sub: str) -> Response:
    """The sign-in page pre-filled for the user an `id_token_hint` names; the request resumes
    without the hint, which has served (whoever signs in then gets the code)."""
    user = await ctx.store.users.by_id(sub)
    following = [(k, v) for k, v in items if k not in ("id_token_hint", "login_hint")]
    if user is not None:
        following.append(("login_hint", user.email))
    return _sign_in_redirect(following)


async def _second_factor(
    ctx: AppContext, session: SessionRecord, client: ClientRecord, items: list[tuple[str, str]]
) -> str | None:
    """Issue 17: the second factor (or its enrolment) a client, the request's `acr_values`
    or a customer's administrator requires, before anything is issued."""
    return await second_factor_step(
        ctx,
        session,
        client_requires=client.require_mfa,
        acr_values=dict(items).get("acr_values", ""),
        resume="/authorize?" + urlencode(items),
    )


async def _pushed_request(
    ctx: AppContext, items: list[tuple[str, str]]
) -> tuple[list[tuple[str, str]], bool]:
    """RFC 9126 §4: a pushed request's parameters, consumed once by its `request_uri` with the
    same `client_id`, then signed to travel through the pages (`idp.oauth.pushed_requests`);
    whether the request was pushed. Before its client is known, a refusal is a page."""
    params = dict(items)
    key = ctx.keys.derive("pushed-request")
    now = ctx.clock.now()
    request_uri = params.get("request_uri")
    if is_pushed_reference(request_uri):
        client_id = params.get("client_id")
        found = None
        if client_id and request_uri:
            found = await ctx.store.pushed_requests.consume(request_uri, client_id, now)
        if found is None:
            raise _invalid_request_page(
                InvalidRequestURIError(
                    "This 'request_uri' is unknown, expired, already used, or another client's."
                )
            )
        expires = int(now) + ctx.settings.lifetimes.pushed_request_interaction
        return signed(key, found, expires), True
    if SIGNATURE_FIELD in params:
        if not signature_valid(key, items, now):
            raise _invalid_request_page(
                InvalidRequestURIError("This pushed sign-in request was changed or has expired.")
            )
        return items, True
    return items, False


async def authorize(request: Request) -> Response:
    ctx = context(request)
    decision: str | None = None
    if request.method == "POST":
        form = await read_form(request)
        ctx.csrf.verify(request, first(form, CSRF_FIELD))
        decision = first(form, DECISION_FIELD)
        items = [(k, v) for k, v in form if k not in (CSRF_FIELD, DECISION_FIELD)]
    else:
        items = list(request.query_params.multi_items())
    if repeated := duplicated(items):
        raise _invalid_request_page(InvalidRequestError(f"Repeated parameter: {repeated[0]}."))
    items, pushed = await _pushed_request(ctx, items)

    params = dict(items)
    if malformed := _malformed(params):
        raise _invalid_request_page(InvalidRequestError(malformed))
    prompts = params.get("prompt", "").split()
    max_age = params.get("max_age", "")
    session = await current_session(request)
    now = ctx.clock.now()
    oauth_request = ParsedOAuth2Request(
        request.method, ctx.settings.url("/authorize"), request.headers, query=items
    )
    # ASCII digits only: str.isdigit() accepts "²", which int() refuses.
    max_age_valid = not max_age or MAX_AGE.fullmatch(max_age) is not None
    # Checked for the consent decision too: a consent form posted after `max_age` has passed
    # must not yield a code with a stale `auth_time`.
    needs_sign_in = max_age_valid and _needs_sign_in(session, prompts, max_age, now)
    signed_in = None
    if session is not None and not needs_sign_in:
        signed_in = AuthenticatedUser(session.user, session.auth_time, session.sid, session.amr)

    try:
        grant = await ctx.bridge.run_authlib(ctx.server.get_consent_grant, oauth_request, signed_in)
    except OAuth2Error as error:
        if error.redirect_uri:
            return ctx.server.error_redirect(error).to_response()  # type: ignore[no-any-return]
        raise _invalid_request_page(error) from error

    # A form can only post to a web address: form_post to another is refused in the query.
    web_redirect = grant.redirect_uri.startswith(("http://", "https://"))
    mode = response_mode(params) if web_redirect else "query"

    def answer(result: OAuthResult) -> Response:
        """The response in the requested mode: a redirect, or a form posted (form_post)."""
        if mode == "form_post" and result.location:
            return form_post(request, ctx, result.location, grant.redirect_uri)
        return result.to_response()

    def refuse(error: OAuth2Error) -> Response:
        error.redirect_uri = grant.redirect_uri
        error.state = params.get("state")
        return answer(ctx.server.error_redirect(error))

    if must_push_requests(grant.client) and not pushed:
        # RFC 9126 §6: this client's requests are only accepted pushed.
        return refuse(InvalidRequestError("This client must push its requests to /par first."))
    # Issue 15: the front-channel checks, one named step each (see authorization_checks).
    for check in (check_request_objects, check_response_mode, check_prompt):
        if refused := check(params):
            return refuse(refused)
    if response_mode(params) == "form_post" and not web_redirect:
        return refuse(InvalidRequestError("'form_post' needs an http or https redirect URI."))
    claims_request, refused = check_claims_request(params, grant.client)
    if refused:
        return refuse(refused)
    oauth_request.requested_claims = claims_request
    hint, refused = verify_id_token_hint(ctx.server, params)
    if refused:
        return refuse(refused)
    if hint is not None and (signed_in is None or signed_in.user.id != hint["sub"]):
        # OIDC Core §3.1.2.1: another user is hinted than the signed-in one.
        if "none" in prompts:
            return refuse(LoginRequiredError())
        return await _sign_in_as_hinted(ctx, items, str(hint["sub"]))

    if not max_age_valid:
        return refuse(InvalidRequestError("'max_age' must be a non-negative integer."))
    if signed_in is None:
        if "none" in prompts:
            return refuse(LoginRequiredError())
        return _sign_in_redirect(items)

    client = grant.client
    if session is not None and (step := await _second_factor(ctx, session, client, items)):
        if "none" in prompts:
            return refuse(InteractionRequiredError())
        return RedirectResponse(step, status_code=303)
    requested = set(grant.request.scope.split())
    if claims_request is not None:  # claims asked by name need consent to their scopes too
        requested |= scopes_for(claims_request.all)
    if REFERENCING in requested:
        # Seed, étape 3: a Sage ID asked for by a `referencing` client is referenced first,
        # automatically by its notification email, or by proof.
        outcome = await ensure_referenced(ctx, signed_in.user)
        resume = "/authorize?" + urlencode(items)
        if outcome is Outcome.NEEDS_PROOF:
            if "none" in prompts:
                return refuse(InteractionRequiredError())
            return RedirectResponse(reference_url(resume), status_code=303)
        if outcome is Outcome.AUTO_REFERENCED and "none" not in prompts:
            return RedirectResponse(congratulations_url(resume), status_code=303)
    else:
        await _reference_silently(ctx, signed_in)
    if decision is None:
        remembered = await ctx.store.consents.granted(signed_in.user.id, client.client_id)
        skip = client.first_party or requested <= remembered
        if "consent" in prompts or not skip:  # prompt=consent: every client, first-party too
            if "none" in prompts:
                return refuse(ConsentRequiredError())
            return _consent_page(request, ctx, grant, items, requested)
    elif decision == "allow":
        await ctx.store.consents.remember(signed_in.user.id, client.client_id, requested, now)
    else:
        return refuse(AccessDeniedError())

    result = await ctx.bridge.run_authlib(
        ctx.server.create_authorization_response, oauth_request, signed_in, grant
    )
    return answer(result)
