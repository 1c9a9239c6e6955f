"""The referencing pages (seed, étape 3 « Se référencer »): the proof form (`/reference`), the
congratulations page (`/referenced`) and the terms of sale (`/terms`). The steps behind them
are `idp.accounts.referencing`.
"""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from idp.accounts.referencing import Outcome, ProofStatus, ensure_referenced, reference_with_proof
from idp.context import context
from idp.domain.referencing import TERMS_VERSION
from idp.i18n import N_, negotiate_locale
from idp.web.client_ip import client_ip
from idp.web.csrf import FIELD as CSRF_FIELD
from idp.web.forms import first, read_form
from idp.web.navigation import safe_next
from idp.web.sessions import current_session

# One message for every wrong proof: it must not tell a guesser which field was right.
WRONG_PROOF = N_(
    "These details do not match a Sage customer account. Check your customer code and the "
    "invoice or serial number, then try again."
)
LOCKED = N_("Too many unsuccessful attempts. Try again in %(minutes)s minutes.")
TERMS_REQUIRED = N_("Please accept the terms of sale to continue.")
INVALID_FIELDS = {WRONG_PROOF: ("customer_code", "number"), TERMS_REQUIRED: ("accept_terms",)}


def reference_url(following: str) -> str:
    """The proof page, returning to `following` once referenced."""
    return "/reference?" + urlencode({"next": following})


def congratulations_url(following: str) -> str:
    """The congratulations page, with a button to `following`."""
    return "/referenced?" + urlencode({"next": following})


def _to_sign_in(back_here: str) -> Response:
    return RedirectResponse("/signin?" + urlencode({"next": back_here}), status_code=303)


def _form_locale(request: Request, form: list[tuple[str, str]], following: str) -> str:
    ui_locales = (
        first(form, "ui_locales") or parse_qs(urlsplit(following).query).get("ui_locales", [""])[0]
    )
    return negotiate_locale(ui_locales or None, request.headers.get("accept-language"))


def _render_form(
    request: Request,
    *,
    following: str,
    email: str,
    locale: str | None = None,
    values: dict[str, str] | None = None,
    error: str | None = None,
    error_args: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    return context(request).templates.render(
        request,
        "reference.html",
        {
            "next": following,
            "email": email,
            "values": values or {},
            "error": error,
            "error_args": error_args or {},
            # The fields the error is about, marked `aria-invalid`.
            "invalid": INVALID_FIELDS.get(error or "", ()),
            "terms_version": TERMS_VERSION,
        },
        status=status,
        locale=locale,
    )


async def reference_page(request: Request) -> Response:
    following = safe_next(request.query_params.get("next"))
    session = await current_session(request)
    if session is None:
        return _to_sign_in(reference_url(following))
    # A notification email references without the form (seed, étape 3; issue 18).
    if await ensure_referenced(context(request), session.user) is Outcome.AUTO_REFERENCED:
        return RedirectResponse(congratulations_url(following), status_code=303)
    return _render_form(request, following=following, email=session.user.email)


async def reference_submit(request: Request) -> Response:
    ctx = context(request)
    form = await read_form(request)
    ctx.csrf.verify(request, first(form, CSRF_FIELD))
    following = safe_next(first(form, "next"))
    session = await current_session(request)
    if session is None:
        return _to_sign_in(reference_url(following))
    locale = _form_locale(request, form, following)
    values = {"customer_code": first(form, "customer_code"), "number": first(form, "number")}
    if first(form, "accept_terms") != "yes":
        return _render_form(
            request,
            following=following,
            email=session.user.email,
            locale=locale,
            values=values,
            error=TERMS_REQUIRED,
            status=400,
        )
    result = await reference_with_proof(
        ctx, session.user, client_ip(request), values["customer_code"], values["number"]
    )
    if result.status is ProofStatus.LOCKED:
        minutes = max(1, math.ceil(result.retry_after / 60))
        return _render_form(
            request,
            following=following,
            email=session.user.email,
            locale=locale,
            values=values,
            error=LOCKED,
            error_args={"minutes": minutes},
            status=429,
        )
    if result.status is ProofStatus.WRONG:
        return _render_form(
            request,
            following=following,
            email=session.user.email,
            locale=locale,
            values=values,
            error=WRONG_PROOF,
            status=400,
        )
    return RedirectResponse(congratulations_url(following), status_code=303)


async def congratulations_page(request: Request) -> Response:
    """Seed, étape 3: « un message de félicitations … vous pouvez utiliser les services
    déclaratifs et bancaires », then on to where the user was going."""
    ctx = context(request)
    following = safe_next(request.query_params.get("next"))
    session = await current_session(request)
    if session is None:
        return _to_sign_in(congratulations_url(following))
    accounts = await ctx.store.customers.accounts_of(session.user.id)
    if not accounts:
        return RedirectResponse(reference_url(following), status_code=303)
    return ctx.templates.render(
        request, "referenced.html", {"next": following, "accounts": accounts}
    )


async def terms_page(request: Request) -> Response:
    return context(request).templates.render(
        request, "terms.html", {"terms_version": TERMS_VERSION}
    )
