"""What every page of the Sage EDI Online portal (issue 8) shares: the signed-in user and their
customer accounts, the way back through sign-in, the menu, and the short notices a form
leaves for the page it redirects to (fixed messages chosen by key, never text from the URL).

The pages: `idp.pages.tracking` (*Suivi des envois*), `idp.pages.profile` (*Profil*) and
`idp.pages.administration` (*Administration*).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from babel.units import format_unit
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from idp.accounts.referencing import Outcome, ensure_referenced
from idp.context import context
from idp.domain.administration import is_administrator
from idp.domain.referencing import Permission
from idp.domain.submissions import CustomerAccess
from idp.i18n import N_
from idp.pages.referencing import congratulations_url
from idp.pages.second_factor import second_factor_step
from idp.store.records import UserRecord
from idp.web.errors import PageError
from idp.web.navigation import sign_in_redirect
from idp.web.sessions import current_session

# Sage EDI Online serves French companies: times are shown in France's time zone.
PORTAL_TIMEZONE: Final = ZoneInfo("Europe/Paris")

PERMISSION_LABELS: Final = {
    Permission.SUBMIT_DECLARATIONS: N_("Send declarations"),
    Permission.BANKING_EXCHANGES: N_("Banking exchanges"),
    Permission.VIEW_TRACKING: N_("See all the account's submissions"),
}

# `?done=` and `?error=` keys a form may leave for the page it returns to.
NOTICES: Final = {
    "administrator": N_("You are now the administrator of this customer account."),
    "profile_changed": N_("The member's profile was changed."),
    "member_removed": N_("The member was removed from the customer account."),
    "profile_added": N_("The profile was created."),
    "assigned": N_("The profile will be given to this email when its owner is referenced."),
    # Issue 18: the administrator's profiles.
    "new_members_profile": N_("New members will get this profile."),
    "profile_renamed": N_("The profile was renamed."),
    "profile_deleted": N_(
        "The profile was deleted; its members now have the new members' profile."
    ),
    "assignment_withdrawn": N_("The profile given in advance was withdrawn."),
    # Issue 17: *Exiger une double authentification*.
    "mfa_required": N_(
        "Two-step verification is now required: every member sets it up at their next sign-in."
    ),
    "mfa_not_required": N_("Two-step verification is no longer required."),
}
ERRORS: Final = {
    "taken": N_("This customer account already has an administrator."),
    "not_member": N_("You are not referenced to this customer account."),
    "own_membership": N_("You cannot change or remove your own membership."),
    "no_such_member": N_("This person is no longer a member of the customer account."),
    "no_such_profile": N_("Choose one of the customer account's profiles."),
    "profile_exists": N_("A profile with this name already exists."),
    "profile_invalid": N_("Give the profile a name of 1 to 100 characters and listed permissions."),
    "email_invalid": N_("Enter a valid email address, for example name@example.com."),
    "builtin_profile": N_("The built-in profiles cannot be renamed or deleted."),
    "no_such_assignment": N_("No profile is given in advance to this email any more."),
}


@dataclass(frozen=True)
class Portal:
    """The signed-in user and their standing at each customer account."""

    user: UserRecord
    access: dict[str, CustomerAccess]

    @property
    def administered(self) -> list[CustomerAccess]:
        mine = self.user.id
        return [a for a in self.access.values() if is_administrator(a.administrator_id, mine)]

    def require_administrator(self, code: str) -> CustomerAccess:
        """The customer account, if the user administers it; a 403 page otherwise (also for
        accounts they are not referenced to, so the answer says nothing about them)."""
        access = self.access.get(code)
        if access is None or not is_administrator(access.administrator_id, self.user.id):
            raise administrators_only()
        return access


def administrators_only() -> PageError:
    return PageError(
        403,
        N_("Administrators only"),
        N_("Only the administrator of a customer account can manage its members."),
    )


async def portal_of(request: Request) -> Portal | None:
    """The portal's user, or None when this browser is not signed in."""
    session = await current_session(request)
    if session is None:
        return None
    access = await context(request).store.submissions.access_of(session.user.id)
    return Portal(session.user, access)


async def entered_portal(request: Request) -> Portal | Response:
    """The portal's user, after the referencing step every entry runs (seed, étape 3: « à la
    connexion, votre compte Sage ID va se référencer automatiquement »; issue 18): newly
    referenced by a notification email, the user sees the congratulations page first, then
    comes back here. Signed out: sign in, then back here."""
    session = await current_session(request)
    if session is None:
        return to_sign_in(request)
    ctx = context(request)
    if await ensure_referenced(ctx, session.user) is Outcome.AUTO_REFERENCED:
        return RedirectResponse(congratulations_url(_here(request)), status_code=303)
    # Issue 17: a customer account requiring a second factor, before the services.
    if step := await second_factor_step(
        ctx, session, client_requires=False, acr_values="", resume=_here(request)
    ):
        return RedirectResponse(step, status_code=303)
    return Portal(session.user, await ctx.store.submissions.access_of(session.user.id))


def _here(request: Request) -> str:
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def to_sign_in(request: Request, back_to: str | None = None) -> Response:
    """Sign in, then come back here (a path on this provider: `safe_next` allows `/portal`)."""
    return sign_in_redirect(_here(request) if back_to is None else back_to)


def back(path: str, *, done: str | None = None, error: str | None = None) -> Response:
    """After a form: to `path`, with the key of a notice or of an error."""
    key = {"done": done} if done else {"error": error} if error else {}
    return RedirectResponse(path + (f"?{urlencode(key)}" if key else ""), status_code=303)


def format_time(timestamp: float, locale: str) -> str:
    moment = datetime.fromtimestamp(timestamp, UTC)
    return format_datetime(moment, "short", tzinfo=PORTAL_TIMEZONE, locale=locale)


def format_size(size: int, locale: str) -> str:
    value, unit = float(size), "digital-byte"
    if size >= 1_000_000:
        value, unit = round(size / 1_000_000, 1), "digital-megabyte"
    elif size >= 1000:
        value, unit = round(size / 1000, 1), "digital-kilobyte"
    return format_unit(value, unit, length="short", locale=locale)


def render(
    request: Request,
    portal: Portal,
    template: str,
    section: str,
    values: dict[str, Any],
    *,
    status: int = 200,
) -> Response:
    notice = NOTICES.get(request.query_params.get("done", ""))
    error = ERRORS.get(request.query_params.get("error", ""))
    return context(request).templates.render(
        request,
        template,
        {
            "user": portal.user,
            "section": section,
            "is_administrator": bool(portal.administered),
            "notice": notice,
            "portal_error": error,
            "permission_labels": PERMISSION_LABELS,
            **values,
        },
        status=status,
    )
