"""`/signup`: create a Sage ID (seed, étape 2, 3°): email pre-filled and editable, name,
password and its confirmation. Reached from an unknown email on `/signin`, from the link on
that page, or straight from `/authorize?prompt=create`."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from idp.audit import Kind
from idp.context import context
from idp.domain.email_address import is_plausible_email, normalise_email
from idp.domain.password_policy import PasswordProblem, check_password
from idp.i18n import N_
from idp.pages.activity import record_own_action
from idp.pages.feedback import Message, policy_messages
from idp.pages.journey import Journey
from idp.pages.verify import start_verification
from idp.store.users import EmailTaken
from idp.web.forms import first

NAME_MAX_LENGTH = 200  # the users.name column
FIELDS = ("email", "name", "password", "confirmation")

Errors = dict[str, list[Message]]


def signup_form(
    request: Request,
    journey: Journey,
    *,
    email: str,
    name: str = "",
    errors: Errors | None = None,
    status: int = 200,
) -> Response:
    values = {"email": email, "name": name, "errors": errors or {}}
    return journey.render(request, "signup.html", values, status=status)


def password_errors(password: str, confirmation: str, email: str) -> Errors:
    """The policy's problems under the field they are about."""
    problems = check_password(password, email=email, confirmation=confirmation)
    errors: Errors = {}
    if mismatch := [p for p in problems if p is PasswordProblem.MISMATCH]:
        errors["confirmation"] = policy_messages(mismatch)
    if others := [p for p in problems if p is not PasswordProblem.MISMATCH]:
        errors["password"] = policy_messages(others)
    return errors


def _check(email: str, name: str, password: str, confirmation: str) -> Errors:
    errors = password_errors(password, confirmation, email)
    if not is_plausible_email(email):
        errors["email"] = [
            Message(N_("Enter a valid email address, for example name@example.com."))
        ]
    if not name:
        errors["name"] = [Message(N_("Enter your name."))]
    elif len(name) > NAME_MAX_LENGTH:
        errors["name"] = [Message(N_("Use at most 200 characters."))]
    # In the form's order: the error summary lists them so.
    return {field: errors[field] for field in FIELDS if field in errors}


async def signup_page(request: Request) -> Response:
    journey = Journey.from_query(request)
    return signup_form(request, journey, email=request.query_params.get("login_hint", ""))


async def signup_submit(request: Request) -> Response:
    journey, form = await Journey.from_form(request)
    email = normalise_email(first(form, "email"))
    name = " ".join(first(form, "name").split())
    password = first(form, "password")
    if errors := _check(email, name, password, first(form, "confirmation")):
        return signup_form(request, journey, email=email, name=name, errors=errors, status=400)
    ctx = context(request)
    try:
        user = await ctx.store.users.add(
            email=email,
            name=name,
            password_hash=await ctx.passwords.hash(password),
            now=ctx.clock.now(),
            locale=journey.locale,
        )
    except EmailTaken:
        taken = Message(N_("A Sage ID already exists for this email address. Sign in instead."))
        return signup_form(
            request, journey, email=email, name=name, errors={"email": [taken]}, status=409
        )
    await record_own_action(request, Kind.ACCOUNT_CREATED, user.id, client_id=journey.client_id)
    return await start_verification(request, journey, user)
