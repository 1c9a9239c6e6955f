"""`/signin`, email first (seed, étape 2, 2°): a known email asks for the password, an unknown
one goes on to create a Sage ID. A right password on an account not yet validated leads to
the code page instead of a session."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from idp.accounts.sign_in import PasswordStatus, check_password
from idp.context import context
from idp.domain.email_address import is_plausible_email, normalise_email
from idp.i18n import N_
from idp.pages.feedback import Message, minutes
from idp.pages.journey import Journey
from idp.pages.second_factor import password_confirmed
from idp.pages.signup import signup_form
from idp.pages.verify import start_verification
from idp.web.client_ip import client_ip
from idp.web.forms import first


def _email_form(
    request: Request, journey: Journey, email: str, error: Message | None = None
) -> Response:
    values = {"email": email, "error": error}
    return journey.render(request, "signin.html", values, status=400 if error else 200)


def _password_form(
    request: Request,
    journey: Journey,
    email: str,
    error: Message | None = None,
    status: int = 200,
) -> Response:
    values = {"email": email, "error": error}
    return journey.render(request, "signin_password.html", values, status=status)


async def signin_page(request: Request) -> Response:
    """One email entry (issue 18): an email the desktop assistant already asked for comes as
    `login_hint` (OIDC Core §3.1.2.1) and opens straight on the password page of a known
    Sage ID, or on the create page, filled in, for an unknown one."""
    journey = Journey.from_query(request)
    hint = normalise_email(request.query_params.get("login_hint", ""))
    if not is_plausible_email(hint):
        return _email_form(request, journey, request.query_params.get("login_hint", ""))
    return await _known_or_new(request, journey, hint)


async def signin_submit(request: Request) -> Response:
    journey, form = await Journey.from_form(request)
    email = normalise_email(first(form, "email"))
    if not is_plausible_email(email):
        error = Message(N_("Enter a valid email address, for example name@example.com."))
        return _email_form(request, journey, email, error)
    return await _known_or_new(request, journey, email)


async def _known_or_new(request: Request, journey: Journey, email: str) -> Response:
    """The password page of a known Sage ID, else the create page with the email filled in."""
    if await context(request).store.users.by_email(email) is None:
        return signup_form(request, journey, email=email)
    return _password_form(request, journey, email)


async def password_submit(request: Request) -> Response:
    journey, form = await Journey.from_form(request)
    email = normalise_email(first(form, "email"))
    result = await check_password(
        context(request), email, first(form, "password"), client_ip(request), journey.client_id
    )
    if result.status is not PasswordStatus.OK:
        context(request).metrics.sign_in_failures.labels(result.status.value).inc()
    if result.status is PasswordStatus.ACCOUNT_LOCKED:
        error = Message(
            N_(
                "Too many wrong passwords: sign-in to this Sage ID is locked for %(minutes)s min. "
                "You can also choose a new password."
            ),
            {"minutes": minutes(result.retry_after)},
        )
        return _password_form(request, journey, email, error, status=429)
    if result.status is PasswordStatus.NETWORK_LOCKED:
        error = Message(
            N_("Too many failed sign-ins from your network. Try again in %(minutes)s min."),
            {"minutes": minutes(result.retry_after)},
        )
        return _password_form(request, journey, email, error, status=429)
    if result.status is PasswordStatus.WRONG or result.user is None:
        error = Message(N_("Incorrect email or password."))
        return _password_form(request, journey, email, error, status=400)
    if not result.user.email_verified:
        return await start_verification(request, journey, result.user)
    return await password_confirmed(request, journey, result.user)
