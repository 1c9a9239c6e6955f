"""`/portal/profile`: *Profil*, who is signed in and their customer accounts with their profile
there; *Devenir administrateur* where an account has no administrator (seed, étape 3, 3°),
and the way to add another customer account (the referencing-by-proof page).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from idp import audit
from idp.audit import Kind
from idp.context import context
from idp.domain.administration import is_administrator
from idp.domain.referencing import normalise_identifier
from idp.pages.activity import recent_sign_ins, record_own_action
from idp.pages.portal import (
    back,
    entered_portal,
    portal_of,
    render,
    to_sign_in,
)
from idp.pages.referencing import reference_url
from idp.store.customers import AdminOutcome
from idp.web.forms import first, posted_form
from idp.web.templating import request_locale

PROFILE = "/portal/profile"


async def profile_page(request: Request) -> Response:
    portal = await entered_portal(request)
    if isinstance(portal, Response):
        return portal
    accounts = [
        {
            "access": access,
            "is_administrator": is_administrator(access.administrator_id, portal.user.id),
            "may_become_administrator": access.administrator_id is None,
        }
        for access in portal.access.values()
    ]
    sign_ins = await recent_sign_ins(context(request), portal.user.id, request_locale(request))
    return render(
        request,
        portal,
        "portal_profile.html",
        "profile",
        {"accounts": accounts, "reference_url": reference_url(PROFILE), "sign_ins": sign_ins},
    )


async def become_administrator(request: Request) -> Response:
    """The colleague's race-safe operation decides: of two members trying at once, one wins
    and the other is told the account already has an administrator."""
    form = await posted_form(request)
    portal = await portal_of(request)
    if portal is None:
        return to_sign_in(request, PROFILE)
    ctx = context(request)
    code = normalise_identifier(first(form, "customer_code"))
    now = ctx.clock.now()
    outcome = await ctx.store.customers.become_administrator(code, portal.user.id, now)
    if outcome is AdminOutcome.APPOINTED:
        detail: audit.Detail = {"customer_code": code}
        await record_own_action(request, Kind.ADMINISTRATOR_GAINED, portal.user.id, detail)
    if outcome in (AdminOutcome.APPOINTED, AdminOutcome.ALREADY):
        return back(PROFILE, done="administrator")
    if outcome is AdminOutcome.TAKEN:
        return back(PROFILE, error="taken")
    return back(PROFILE, error="not_member")
