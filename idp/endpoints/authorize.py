"""`GET/POST /authorize` (RFC 6749 §4.1, OIDC Core §3.1.2), as node-oidc-provider's
authorization pipeline: the request validated, then `CHECKS`, an ordered tuple of named
steps, each answering (an error redirect, a page, a step to go through first) or passing:

1. `_validated`: Authlib validates the request; an error is redirected to the client only
   once its redirect URI was validated, otherwise shown as a page (RFC 6749 §4.1.2.1);
2. the checks Authlib leaves to us (`require_pushed_request`, `check_parameters`,
   `read_claims_request`, `check_id_token_hint`, `check_max_age`; their rules in
   `idp.oauth.authorization_checks`), answered in the requested response mode;
3. `require_sign_in`: `prompt=login`, `max_age` or no session send the user to sign in (or
   answer `login_required` to `prompt=none`); then `require_second_factor`;
4. `require_referencing`, then `require_consent`: first-party clients and remembered
   decisions skip it, `prompt=consent` forces it;
5. the code is issued (with `iss`, RFC 9207).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
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
from idp.domain.claims_request import RequestedClaims, scopes_for
from idp.i18n import N_
from idp.oauth.authorization_checks import (
    check_claims_request,
    check_prompt,
    check_request_objects,
    check_response_mode,
    response_mode,
    verify_id_token_hint,
)
from idp.oauth.authorization_code import AuthenticatedUser
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
from idp.web.forms import first, posted_form
from idp.web.navigation import sign_in_redirect
from idp.web.oauth_response import oauth_response
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
    params = dict(items)
    return sign_in_redirect(
        "/authorize?" + urlencode(following),
        login_hint=params.get("login_hint"),
        ui_locales=params.get("ui_locales"),
        page=page,
    )


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


@dataclass
class Authorization:
    """One authorization request, validated by Authlib, as the checks below see it."""

    request: Request
    ctx: AppContext
    items: list[tuple[str, str]]
    pushed: bool
    decision: str | None  # the consent form's answer, when it was posted
    session: SessionRecord | None
    signed_in: AuthenticatedUser | None  # None when a (fresh) sign-in is needed
    max_age_valid: bool
    grant: Any  # Authlib's authorization code grant, its client and redirect URI validated
    oauth_request: ParsedOAuth2Request
    claims_request: RequestedClaims | None = None

    @property
    def params(self) -> dict[str, str]:
        return dict(self.items)

    @property
    def prompts(self) -> list[str]:
        return self.params.get("prompt", "").split()

    @property
    def web_redirect(self) -> bool:
        """A form can only post to a web address: form_post to another is refused in the
        query."""
        return bool(self.grant.redirect_uri.startswith(("http://", "https://")))

    @property
    def requested(self) -> set[str]:
        """The scopes asked for, and those of claims asked for by name (consent covers both)."""
        requested = set(self.grant.request.scope.split())
        if self.claims_request is not None:
            requested |= scopes_for(self.claims_request.all)
        return requested

    def answer(self, result: OAuthResult) -> Response:
        """The response in the requested mode: a redirect, or a form posted (form_post)."""
        mode = response_mode(self.params) if self.web_redirect else "query"
        if mode == "form_post" and result.location:
            return form_post(self.request, self.ctx, result.location, self.grant.redirect_uri)
        return oauth_response(result)

    def refuse(self, error: OAuth2Error) -> Response:
        """An error back to the client's (validated) redirect URI, with `state` and `iss`."""
        error.redirect_uri = self.grant.redirect_uri
        error.state = self.params.get("state")
        return self.answer(self.ctx.server.error_redirect(error))

    def interaction_required(self, error: OAuth2Error, step: str) -> Response:
        """`prompt=none` (OIDC Core §3.1.2.1) refuses what would show a page; otherwise the
        user is sent to `step`."""
        if "none" in self.prompts:
            return self.refuse(error)
        return RedirectResponse(step, status_code=303)

    @property
    def resume(self) -> str:
        return "/authorize?" + urlencode(self.items)


Check = Callable[[Authorization], Awaitable[Response | None]]


async def require_pushed_request(authorization: Authorization) -> Response | None:
    """RFC 9126 §6: this client's requests are only accepted pushed."""
    if must_push_requests(authorization.grant.client) and not authorization.pushed:
        error = InvalidRequestError("This client must push its requests to /par first.")
        return authorization.refuse(error)
    return None


async def check_parameters(authorization: Authorization) -> Response | None:
    """Issue 15: the front-channel checks, one named step each (see authorization_checks)."""
    params = authorization.params
    for check in (check_request_objects, check_response_mode, check_prompt):
        if refused := check(params):
            return authorization.refuse(refused)
    if response_mode(params) == "form_post" and not authorization.web_redirect:
        error = InvalidRequestError("'form_post' needs an http or https redirect URI.")
        return authorization.refuse(error)
    return None


async def read_claims_request(authorization: Authorization) -> Response | None:
    """OIDC Core §5.5: the `claims` parameter, kept with the request for the code."""
    claims_request, refused = check_claims_request(authorization.params, authorization.grant.client)
    if refused:
        return authorization.refuse(refused)
    authorization.claims_request = claims_request
    authorization.oauth_request.requested_claims = claims_request
    return None


async def check_id_token_hint(authorization: Authorization) -> Response | None:
    """OIDC Core §3.1.2.1: another user is hinted than the signed-in one: sign in as them."""
    ctx = authorization.ctx
    hint, refused = verify_id_token_hint(ctx.server, authorization.params)
    if refused:
        return authorization.refuse(refused)
    signed_in = authorization.signed_in
    if hint is None or (signed_in is not None and signed_in.user.id == hint["sub"]):
        return None
    if "none" in authorization.prompts:
        return authorization.refuse(LoginRequiredError())
    return await _sign_in_as_hinted(ctx, authorization.items, str(hint["sub"]))


async def check_max_age(authorization: Authorization) -> Response | None:
    if not authorization.max_age_valid:
        return authorization.refuse(
            InvalidRequestError("'max_age' must be a non-negative integer.")
        )
    return None


async def require_sign_in(authorization: Authorization) -> Response | None:
    """No session, `prompt=login`/`create`, or a sign-in older than `max_age`."""
    if authorization.signed_in is not None:
        return None
    if "none" in authorization.prompts:
        return authorization.refuse(LoginRequiredError())
    return _sign_in_redirect(authorization.items)


async def require_second_factor(authorization: Authorization) -> Response | None:
    session = authorization.session
    if session is None:
        return None
    client = authorization.grant.client
    step = await _second_factor(authorization.ctx, session, client, authorization.items)
    return authorization.interaction_required(InteractionRequiredError(), step) if step else None


async def require_referencing(authorization: Authorization) -> Response | None:
    """Seed, étape 3: a Sage ID asked for by a `referencing` client is referenced first,
    automatically by its notification email, or by proof; for other clients, silently."""
    assert authorization.signed_in is not None  # require_sign_in
    if REFERENCING not in authorization.requested:
        await _reference_silently(authorization.ctx, authorization.signed_in)
        return None
    outcome = await ensure_referenced(authorization.ctx, authorization.signed_in.user)
    resume = authorization.resume
    if outcome is Outcome.NEEDS_PROOF:
        return authorization.interaction_required(InteractionRequiredError(), reference_url(resume))
    if outcome is Outcome.AUTO_REFERENCED and "none" not in authorization.prompts:
        return RedirectResponse(congratulations_url(resume), status_code=303)
    return None


async def require_consent(authorization: Authorization) -> Response | None:
    """First-party clients and remembered decisions skip the page; `prompt=consent` shows it
    for every client, first-party too."""
    ctx, signed_in = authorization.ctx, authorization.signed_in
    assert signed_in is not None  # require_sign_in
    client_id = authorization.grant.client.client_id
    requested = authorization.requested
    if authorization.decision == "allow":
        await ctx.store.consents.remember(signed_in.user.id, client_id, requested, ctx.clock.now())
        return None
    if authorization.decision is not None:
        return authorization.refuse(AccessDeniedError())
    remembered = await ctx.store.consents.granted(signed_in.user.id, client_id)
    skip = authorization.grant.client.first_party or requested <= remembered
    if "consent" not in authorization.prompts and skip:
        return None
    if "none" in authorization.prompts:
        return authorization.refuse(ConsentRequiredError())
    return _consent_page(
        authorization.request, ctx, authorization.grant, authorization.items, requested
    )


# In order, as node-oidc-provider's authorization pipeline: each check answers (an error
# redirect, a page, a step to go through first) or lets the request go on to the code.
CHECKS: tuple[Check, ...] = (
    require_pushed_request,
    check_parameters,
    read_claims_request,
    check_id_token_hint,
    check_max_age,
    require_sign_in,
    require_second_factor,
    require_referencing,
    require_consent,
)


async def _read_request(request: Request) -> tuple[list[tuple[str, str]], str | None]:
    """The request's parameters (the query, or the consent form posted back, CSRF-checked),
    and the consent decision posted, if any."""
    if request.method != "POST":
        return list(request.query_params.multi_items()), None
    form = await posted_form(request)
    items = [(k, v) for k, v in form if k not in (CSRF_FIELD, DECISION_FIELD)]
    return items, first(form, DECISION_FIELD)


async def _validated(request: Request) -> Authorization | Response:
    """Step 1: the request read and validated by Authlib; an error before its redirect URI is
    validated is a page, after it a redirect to the client."""
    ctx = context(request)
    items, decision = await _read_request(request)
    if repeated := duplicated(items):
        raise _invalid_request_page(InvalidRequestError(f"Repeated parameter: {repeated[0]}."))
    items, pushed = await _pushed_request(ctx, items)
    params = dict(items)
    if malformed := _malformed(params):
        raise _invalid_request_page(InvalidRequestError(malformed))
    max_age = params.get("max_age", "")
    # ASCII digits only: str.isdigit() accepts "²", which int() refuses.
    max_age_valid = not max_age or MAX_AGE.fullmatch(max_age) is not None
    session = await current_session(request)
    # Checked for the consent decision too: a consent form posted after `max_age` has passed
    # must not yield a code with a stale `auth_time`.
    prompts = params.get("prompt", "").split()
    needs_sign_in = max_age_valid and _needs_sign_in(session, prompts, max_age, ctx.clock.now())
    signed_in = None
    if session is not None and not needs_sign_in:
        signed_in = AuthenticatedUser(session.user, session.auth_time, session.sid, session.amr)
    oauth_request = ParsedOAuth2Request(
        request.method, ctx.settings.url("/authorize"), request.headers, query=items
    )
    try:
        grant = await ctx.bridge.run_authlib(ctx.server.get_consent_grant, oauth_request, signed_in)
    except OAuth2Error as error:
        if error.redirect_uri:
            return oauth_response(ctx.server.error_redirect(error))
        raise _invalid_request_page(error) from error
    return Authorization(
        request,
        ctx,
        items,
        pushed,
        decision,
        session,
        signed_in,
        max_age_valid,
        grant,
        oauth_request,
    )


async def authorize(request: Request) -> Response:
    authorization = await _validated(request)
    if isinstance(authorization, Response):
        return authorization
    for check in CHECKS:
        if (response := await check(authorization)) is not None:
            return response
    ctx = authorization.ctx
    result = await ctx.bridge.run_authlib(
        ctx.server.create_authorization_response,
        authorization.oauth_request,
        authorization.signed_in,
        authorization.grant,
    )
    return authorization.answer(result)
