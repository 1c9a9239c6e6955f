"""The user's side against the real provider, over HTTP: a browser stand-in that submits
the real sign-in forms, and the device approval a phone would do. Both run in their own
thread while the client under test blocks (on the loopback server, or polling).
"""

from __future__ import annotations

import html
import re
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import anyio
import httpx

from client import (
    DeviceAuthorization,
    RelyingParty,
    SignInOutcome,
    TokenCache,
    login_with_browser,
    login_with_device,
)
from tests.support import (
    EMAIL,
    PARTNER_ID,
    PARTNER_SECRET,
    PASSWORD,
    authorization_code,
    csrf_of,
    query_of,
    sign_in,
)

# The demo customer file (idp/data/demo-customers.csv): Marie references by proof.
CUSTOMER_CODE = "C0001234"
CUSTOMER_NAME = "Boulangerie Martin"
PROOF = "FA-2025-004711"


class Background:
    """Runs an async function in a thread; `join()` re-raises what it raised."""

    def __init__(self, function: Callable[..., Awaitable[None]], *args: Any) -> None:
        self._function = function
        self._args = args
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> Background:
        self._thread.start()
        return self

    def _run(self) -> None:
        try:
            anyio.run(self._function, *self._args)
        except BaseException as error:  # Kept for join(): a thread's error is otherwise lost.
            self.error = error

    def join(self, timeout: float = 30) -> None:
        self._thread.join(timeout)
        assert not self._thread.is_alive(), "the background step did not finish"
        if self.error is not None:
            raise self.error


def _origin(url: httpx.URL) -> str:
    return f"{url.scheme}://{url.host}:{url.port}"


def hidden_fields(page: str) -> dict[str, str]:
    """The hidden inputs of a form page (CSRF token, `next`, …), unescaped."""
    found = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page)
    return {name: html.unescape(value) for name, value in found}


async def follow_journey(http: httpx.AsyncClient, response: httpx.Response) -> httpx.Response:
    """Walk the provider's own steps after the sign-in, as the user would, until it sends
    the browser elsewhere (the client's redirect) or shows a page to act on.

    The referencing step (seed, étape 3) is answered with the demo proof of Marie's
    customer account; the congratulations page is passed with its Continue button.
    """
    for _ in range(10):
        location = response.headers.get("location", "")
        if response.status_code not in (302, 303) or not location.startswith("/"):
            return response
        path = urlsplit(location).path
        if path == "/reference":
            form = hidden_fields((await http.get(location)).text)
            form.update(customer_code=CUSTOMER_CODE, number=PROOF, accept_terms="yes")
            response = await http.post("/reference", data=form)
            assert response.status_code == 303, response.text
        elif path == "/referenced":
            page = await http.get(location)
            assert page.status_code == 200, page.text
            response = await http.get(query_of(location)["next"])
        else:
            response = await http.get(location)
    raise AssertionError("the provider's journey did not end")


class FormBrowser:
    """Stands in for the system browser (`webbrowser.open`): follows the authorization URL
    through the provider's real email-first sign-in forms, then takes the redirect to the
    client's loopback server. If anything fails, it still tells the loopback server (with
    an error redirect) so the client stops waiting, and `join()` raises the cause.
    """

    def __init__(self, email: str = EMAIL, password: str = PASSWORD) -> None:
        self.email = email
        self.password = password
        self.urls: list[str] = []
        self.callback_pages: list[httpx.Response] = []
        self._tasks: list[Background] = []

    def __call__(self, url: str) -> bool:
        self.urls.append(url)
        self._tasks.append(Background(self._browse, url).start())
        return True

    async def _browse(self, url: str) -> None:
        request = httpx.URL(url)
        params = dict(request.params)
        async with httpx.AsyncClient(base_url=_origin(request)) as browser:
            try:
                answer = await authorization_code(
                    browser, params, email=self.email, password=self.password
                )
                answer = await follow_journey(browser, answer)
                assert answer.status_code in (302, 303), answer.text
                location = answer.headers["location"]
            except BaseException:
                failure = {
                    "error": "server_error",
                    "state": params["state"],
                    "iss": _origin(request),
                }
                await browser.get(f"{params['redirect_uri']}?{urlencode(failure)}")
                raise
            self.callback_pages.append(await browser.get(location))

    def join(self) -> None:
        for task in self._tasks:
            task.join()


def browser_sign_in(
    relying_party: RelyingParty, cache: TokenCache
) -> tuple[SignInOutcome, FormBrowser]:
    """Marie signs in through the real forms (`login_hint` her email, pages in English)."""
    browser = FormBrowser()
    try:
        outcome = login_with_browser(
            relying_party, cache, open_browser=browser, login_hint=EMAIL, language="en", timeout=30
        )
    finally:
        browser.join()
    return outcome, browser


async def approve_device(issuer: str, user_code: str, decision: str = "approve") -> None:
    """What the user does on their phone: enter the code, sign in, approve (or deny)."""
    async with httpx.AsyncClient(base_url=issuer) as phone:
        page = await phone.get("/device")
        entered = await phone.post(
            "/device", data={"csrf_token": csrf_of(page.text), "user_code": user_code}
        )
        assert entered.status_code == 303, entered.text
        page = await phone.get(entered.headers["location"])
        if page.status_code == 303 and page.headers["location"].startswith("/signin"):
            following = query_of(page.headers["location"])["next"]
            signed = await sign_in(phone, following=following)
            assert signed.status_code == 303, signed.text
            page = await phone.get(signed.headers["location"])
        page = await follow_journey(phone, page)
        assert page.status_code == 200, page.text
        form = {"csrf_token": csrf_of(page.text), "user_code": user_code, "decision": decision}
        done = await phone.post("/device/confirm", data=form)
        assert done.status_code == 200, done.text


class Phone:
    """The user's phone: approves (or denies) device codes from a background thread.

    `sleep` is what the polling loop gets: it waits like `time.sleep` but raises at once
    if an approval failed, so a broken approval fails the test now, not when the device
    code expires ten minutes later.
    """

    def __init__(self, issuer: str, decision: str = "approve") -> None:
        self.issuer = issuer
        self.decision = decision
        self.tasks: list[Background] = []

    def approve(self, user_code: str) -> None:
        """Enter `user_code` on the provider's device page, in the background."""
        task = Background(approve_device, self.issuer, user_code, self.decision)
        self.tasks.append(task.start())

    def check(self) -> None:
        for task in self.tasks:
            if task.error is not None:
                raise task.error

    def sleep(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            self.check()
            time.sleep(min(0.1, left))
        self.check()

    def join(self) -> None:
        for task in self.tasks:
            task.join()

    def http_client(self) -> httpx.Client:
        """An HTTP client for the CLI that, seeing the device authorization response,
        has the phone approve it, as the person in front of the screen would."""

        def on_response(response: httpx.Response) -> None:
            if response.request.url.path == "/device_authorization" and response.is_success:
                response.read()
                self.approve(response.json()["user_code"])

        return httpx.Client(timeout=10, event_hooks={"response": [on_response]})


def sign_in_with_device(
    relying_party: RelyingParty, cache: TokenCache, decision: str = "approve"
) -> tuple[SignInOutcome, list[DeviceAuthorization]]:
    """The library's device flow (RFC 8628): each code it shows is entered on the phone,
    which approves or denies it. The outcome, and the authorizations shown."""
    phone = Phone(relying_party.issuer, decision)
    shown: list[DeviceAuthorization] = []

    def show(authorization: DeviceAuthorization) -> None:
        shown.append(authorization)
        phone.approve(authorization.user_code)

    try:
        outcome = login_with_device(relying_party, cache, show=show, sleep=phone.sleep)
    finally:
        phone.join()
    return outcome, shown


class PushedRequests:
    """Records the authorization requests a client pushes (RFC 9126) through `http`."""

    def __init__(self, http: httpx.Client) -> None:
        self.http = http
        self.forms: list[dict[str, str]] = []
        http.event_hooks["request"].append(self._record)

    def _record(self, request: httpx.Request) -> None:
        if request.url.path == "/par":
            self.forms.append(dict(parse_qsl(request.read().decode())))


def only_pushed_reference(url: str, client_id: str) -> bool:
    """True if the browser was sent `client_id` and a `request_uri` only (RFC 9126 §4)."""
    params = httpx.URL(url).params
    return set(params) == {"client_id", "request_uri"} and params["client_id"] == client_id


class ShiftedClock:
    """The wall clock, moved forward on demand: to make a token look almost expired while
    the provider keeps real time."""

    def __init__(self) -> None:
        self.shift = 0.0

    def now(self) -> float:
        return time.time() + self.shift


def introspect(issuer: str, token: str) -> dict[str, Any]:
    """RFC 7662 introspection as the confidential `partner-test` client."""
    response = httpx.post(
        f"{issuer}/introspect", data={"token": token}, auth=(PARTNER_ID, PARTNER_SECRET)
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body
