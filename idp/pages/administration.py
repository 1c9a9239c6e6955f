"""`/portal/admin`: *Administration*, for the administrator of a customer account only (any
other user gets a 403 page): its members and their profiles, changing a member's profile,
removing a member, defining profiles (name + permissions) and pre-assigning a profile to an
email (applied when its owner is referenced automatically, seed étape 3).
"""

from __future__ import annotations

import asyncio
import functools
from collections import Counter
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from idp import audit
from idp.accounts.sessions_ended import user_signed_out_everywhere
from idp.audit import Kind
from idp.context import context
from idp.domain.administration import MemberRefusal
from idp.domain.email_address import is_plausible_email, normalise_email
from idp.domain.referencing import (
    ALL_PERMISSIONS,
    BUILTIN_PROFILES,
    normalise_identifier,
)
from idp.pages.activity import record_action
from idp.pages.portal import (
    Portal,
    administrators_only,
    back,
    entered_portal,
    portal_of,
    render,
    to_sign_in,
)
from idp.pages.second_factor import second_factor_step
from idp.store.customers import ProfileExists
from idp.store.members import ProfileRefusal
from idp.web.forms import Form, first, posted_form
from idp.web.sessions import current_session

ADMIN = "/portal/admin"


def _customer_url(code: str) -> str:
    return f"{ADMIN}/{code}"


async def _administrator(request: Request) -> tuple[Portal, str] | Response:
    """The signed-in administrator and the customer code of the URL, or where to go."""
    portal = await portal_of(request)
    code = normalise_identifier(str(request.path_params["code"]))
    if portal is None:
        return to_sign_in(request, _customer_url(code))
    portal.require_administrator(code)
    if request.method == "GET" and (step := await _second_factor(request, code)):
        return step
    return portal, code


async def _second_factor(request: Request, code: str) -> Response | None:
    """Issue 17: an administrator whose customer requires a second factor gives it (or
    enrols) before the administration pages, like every member before the services."""
    session = await current_session(request)
    if session is None:
        return None
    step = await second_factor_step(
        context(request),
        session,
        client_requires=False,
        acr_values="",
        resume=_customer_url(code),
    )
    return RedirectResponse(step, status_code=303) if step else None


async def admin_index(request: Request) -> Response:
    portal = await entered_portal(request)
    if isinstance(portal, Response):
        return portal
    administered = portal.administered
    if not administered:
        raise administrators_only()
    if len(administered) == 1:
        return RedirectResponse(_customer_url(administered[0].customer_code), status_code=303)
    return render(request, portal, "portal_admin_index.html", "admin", {"accounts": administered})


async def admin_customer(request: Request) -> Response:
    found = await _administrator(request)
    if isinstance(found, Response):
        return found
    portal, code = found
    store = context(request).store
    async with asyncio.TaskGroup() as reads:
        members = reads.create_task(store.members.members_of(code))
        profiles = reads.create_task(store.customers.profiles_of(code))
        assigned = reads.create_task(store.members.assignments_of(code))
        require_mfa = reads.create_task(store.factors.customer_requires(code))
    every_profile = profiles.result()
    default = next(p for p in every_profile if p.is_default)
    counts = Counter(member.profile_id for member in members.result())
    return render(
        request,
        portal,
        "portal_admin.html",
        "admin",
        {
            "account": portal.access[code],
            "members": members.result(),
            "profiles": every_profile,
            "assignments": assigned.result(),
            "permissions": ALL_PERMISSIONS,
            "default_profile": default,
            "new_members_profile": next((p for p in every_profile if p.is_new_members), default),
            "profile_members": counts,
            "builtin_profiles": BUILTIN_PROFILES,
            "require_mfa": require_mfa.result(),
        },
    )


AdministrationHandler = Callable[[Request, Form, Portal, str], Awaitable[Response]]


def administration_form(handler: AdministrationHandler) -> Callable[[Request], Awaitable[Response]]:
    """A form of the administration page: CSRF checked, then posted by an administrator of the
    customer account of the URL (anyone else goes where `_administrator` says)."""

    @functools.wraps(handler)
    async def endpoint(request: Request) -> Response:
        form = await posted_form(request)
        found = await _administrator(request)
        if isinstance(found, Response):
            return found
        portal, code = found
        return await handler(request, form, portal, code)

    return endpoint


def _after(code: str, refusal: MemberRefusal | None, done: str) -> Response:
    if refusal is MemberRefusal.NOT_ADMINISTRATOR:  # lost the role meanwhile: never, but safe
        raise administrators_only()
    if refusal is not None:
        return back(_customer_url(code), error=str(refusal))
    return back(_customer_url(code), done=done)


@administration_form
async def change_member_profile(
    request: Request, form: Form, portal: Portal, code: str
) -> Response:
    ctx = context(request)
    member_id, profile_id = first(form, "member_id"), first(form, "profile_id")
    refusal = await ctx.store.members.change_profile(
        code, actor_id=portal.user.id, member_id=member_id, profile_id=profile_id
    )
    if refusal is None:
        detail = {"customer_code": code, "profile_id": profile_id}
        await record_action(request, Kind.PROFILE_CHANGED, portal.user.id, member_id[:36], detail)
    return _after(code, refusal, "profile_changed")


@administration_form
async def remove_member(request: Request, form: Form, portal: Portal, code: str) -> Response:
    ctx = context(request)
    member_id = first(form, "member_id")
    refusal = await ctx.store.members.remove(code, actor_id=portal.user.id, member_id=member_id)
    # Access ends at once: the portal and the API read memberships on every request.
    if refusal is None:
        detail = {"customer_code": code}
        await record_action(request, Kind.MEMBER_REMOVED, portal.user.id, member_id[:36], detail)
        # Their tokens say they belong to this customer: every sign-in of theirs ends, and
        # the clients are told (Back-Channel Logout).
        await user_signed_out_everywhere(ctx, member_id, ctx.clock.now())
    return _after(code, refusal, "member_removed")


@administration_form
async def set_mfa_requirement(request: Request, form: Form, portal: Portal, code: str) -> Response:
    """Issue 17: *Exiger une double authentification* for every member of the account, from
    their next sign-in (`idp.pages.second_factor.required_enrolment`)."""
    required = first(form, "require_mfa") == "on"
    await context(request).store.factors.set_customer_requirement(code, required)
    detail: audit.Detail = {"customer_code": code, "required": required}
    await record_action(
        request, Kind.MFA_REQUIREMENT_CHANGED, portal.user.id, portal.user.id, detail
    )
    return back(_customer_url(code), done="mfa_required" if required else "mfa_not_required")


@administration_form
async def add_profile(request: Request, form: Form, _: Portal, code: str) -> Response:
    ctx = context(request)
    permissions = [value for name, value in form if name == "permission"]
    try:
        await ctx.store.customers.add_profile(
            code, first(form, "name"), permissions, ctx.clock.now()
        )
    except ProfileExists:
        return back(_customer_url(code), error="profile_exists")
    except ValueError:
        return back(_customer_url(code), error="profile_invalid")
    return back(_customer_url(code), done="profile_added")


@administration_form
async def assign_profile(request: Request, form: Form, _: Portal, code: str) -> Response:
    ctx = context(request)
    email = normalise_email(first(form, "email"))
    if not is_plausible_email(email):
        return back(_customer_url(code), error="email_invalid")
    try:
        await ctx.store.customers.assign_profile(
            code, email, first(form, "profile_id"), ctx.clock.now()
        )
    except ValueError:
        return back(_customer_url(code), error="no_such_profile")
    return back(_customer_url(code), done="assigned")


# --- Profiles (issue 18) -----------------------------------------------------------------------
# Each change is audited (`Kind.PROFILES_EDITED`, detail: action) once the store accepted it.


async def _after_profile_change(
    request: Request, actor_id: str, code: str, refusal: ProfileRefusal | None, done: str
) -> Response:
    if refusal is ProfileRefusal.NOT_ADMINISTRATOR:
        raise administrators_only()
    if refusal is not None:
        return back(_customer_url(code), error=str(refusal))
    detail: audit.Detail = {"customer_code": code, "action": done}
    await record_action(request, Kind.PROFILES_EDITED, actor_id, None, detail)
    return back(_customer_url(code), done=done)


@administration_form
async def set_new_members_profile(
    request: Request, form: Form, portal: Portal, code: str
) -> Response:
    refusal = await context(request).store.profiles.set_new_members_profile(
        code, actor_id=portal.user.id, profile_id=first(form, "profile_id")
    )
    return await _after_profile_change(
        request, portal.user.id, code, refusal, "new_members_profile"
    )


@administration_form
async def rename_profile(request: Request, form: Form, portal: Portal, code: str) -> Response:
    refusal = await context(request).store.profiles.rename(
        code,
        actor_id=portal.user.id,
        profile_id=first(form, "profile_id"),
        name=first(form, "name"),
    )
    return await _after_profile_change(request, portal.user.id, code, refusal, "profile_renamed")


@administration_form
async def delete_profile(request: Request, form: Form, portal: Portal, code: str) -> Response:
    """Confirmed on the page (the form sits behind *Supprimer*, which says where the members
    go); members move to the new members' profile."""
    refusal = await context(request).store.profiles.delete(
        code, actor_id=portal.user.id, profile_id=first(form, "profile_id")
    )
    return await _after_profile_change(request, portal.user.id, code, refusal, "profile_deleted")


@administration_form
async def withdraw_assignment(request: Request, form: Form, portal: Portal, code: str) -> Response:
    withdrawn = await context(request).store.profiles.withdraw_assignment(
        code, actor_id=portal.user.id, email=first(form, "email")
    )
    if not withdrawn:
        return back(_customer_url(code), error="no_such_assignment")
    return await _after_profile_change(request, portal.user.id, code, None, "assignment_withdrawn")
