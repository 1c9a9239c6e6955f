"""The referencing pages (seed, étape 3 « Se référencer »): the proof form (`/reference`), the
congratulations page (`/referenced`) and the terms of sale (`/terms`). The steps behind them
are `idp.accounts.referencing`.
"""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from idp.accounts.referencing import Outcome, ProofStatus, ensure_referenced, reference_with_proof
from idp.context import context
from idp.domain.referencing import TERMS_VERSION
from idp.i18n import N_
from idp.pages.feedback import Message, minutes
from idp.pages.journey import Journey
from idp.web.client_ip import client_ip
from idp.web.forms import first
from idp.web.navigation import sign_in_redirect
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


def _render_form(
    request: Request,
    journey: Journey,
    email: str,
    typed: dict[str, str] | None = None,
    error: Message | None = None,
    *,
    status: int | None = None,
) -> Response:
    values = {
        "email": email,
        "values": typed or {},
        "error": error,
        # The fields the error is about, marked `aria-invalid`.
        "invalid": INVALID_FIELDS.get(error.id, ()) if error else (),
        "terms_version": TERMS_VERSION,
    }
    status = status or (400 if error else 200)
    return journey.render(request, "reference.html", values, status=status)


async def reference_page(request: Request) -> Response:
    journey = Journey.from_query(request)
    session = await current_session(request)
    if session is None:
        return sign_in_redirect(reference_url(journey.following))
    # A notification email references without the form (seed, étape 3; issue 18).
    if await ensure_referenced(context(request), session.user) is Outcome.AUTO_REFERENCED:
        return RedirectResponse(congratulations_url(journey.following), status_code=303)
    return _render_form(request, journey, session.user.email)


async def reference_submit(request: Request) -> Response:
    journey, form = await Journey.from_form(request)
    session = await current_session(request)
    if session is None:
        return sign_in_redirect(reference_url(journey.following))
    typed = {"customer_code": first(form, "customer_code"), "number": first(form, "number")}
    if first(form, "accept_terms") != "yes":
        return _render_form(request, journey, session.user.email, typed, Message(TERMS_REQUIRED))
    result = await reference_with_proof(
        context(request), session.user, client_ip(request), typed["customer_code"], typed["number"]
    )
    if result.status is ProofStatus.LOCKED:
        locked = Message(LOCKED, {"minutes": minutes(result.retry_after)})
        return _render_form(request, journey, session.user.email, typed, locked, status=429)
    if result.status is ProofStatus.WRONG:
        return _render_form(request, journey, session.user.email, typed, Message(WRONG_PROOF))
    return RedirectResponse(congratulations_url(journey.following), status_code=303)


async def congratulations_page(request: Request) -> Response:
    """Seed, étape 3: « un message de félicitations … vous pouvez utiliser les services
    déclaratifs et bancaires », then on to where the user was going."""
    journey = Journey.from_query(request)
    session = await current_session(request)
    if session is None:
        return sign_in_redirect(congratulations_url(journey.following))
    accounts = await context(request).store.customers.accounts_of(session.user.id)
    if not accounts:
        return RedirectResponse(reference_url(journey.following), status_code=303)
    return journey.render(request, "referenced.html", {"accounts": accounts})


async def terms_page(request: Request) -> Response:
    return context(request).templates.render(
        request, "terms.html", {"terms_version": TERMS_VERSION}
    )
