"""The migration assistant as a state machine, without a window (seed, étapes 1, 2 and 4).

The view calls one method per user action (`start_clicked`, `later_clicked` …) and redraws
from the `View` snapshot it is handed after every change. Everything that touches the world
goes through the seams of `seams.py`: `Services` (the client library: the saved sign-in,
signing in, the submissions API), a `Runner` (long work off the UI thread, results back on
it) and `open_url`. So the tests drive it headless, with fakes, and never wait.

States (`State`) and the events that move between them:

```
STARTING           a saved sign-in              → SIGNED_IN
                   none / its 30 days are over  → ASSISTANT / SESSION_EXPIRED
ASSISTANT,         « Commencer »                → EMAIL
SESSION_EXPIRED    « Plus tard », closed        → LATER (the banner); CLOSED when quitting
EMAIL              an email                     → SIGNING_IN_BROWSER
                   « Utiliser un code »         → SIGNING_IN_DEVICE
SIGNING_IN_…       finished                     → SIGNED_IN; CLOSED when quitting
                   failed, « Annuler »          → EMAIL, with the message
LATER              « Sage EDI Online », send    → ASSISTANT
                   quit                         → ASSISTANT (quitting), then CLOSED
SIGNED_IN          « Se déconnecter »           → LATER
                   sending finds it over        → SESSION_EXPIRED
                   quit                         → CLOSED
```
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from client import DeviceAuthorization, Identity, SignInRequired, Submission

from .i18n import Texts
from .model import (
    ASSISTANT_STATES,
    SIGNING_IN,
    Customer,
    DevicePrompt,
    Level,
    Message,
    SendForm,
    State,
    View,
    describe_error,
)
from .seams import Cancellation, Runner, Services, SessionExpired

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def _customers(identity: Identity) -> tuple[Customer, ...]:
    accounts = identity.referencing.accounts if identity.referencing else ()
    return tuple(Customer(a.customer_code, a.customer_name) for a in accounts)


def _missing_field(form: SendForm, file: str, kind: str, customer: str) -> str | None:
    if not file.strip():
        return "send_no_file"
    if kind not in form.kinds:
        return "send_no_kind"
    return None if customer.strip() else "send_no_customer"


class Presenter:
    """The app's state; one method per event, a `View` to every subscriber after each."""

    def __init__(
        self,
        services: Services,
        runner: Runner,
        texts: Texts,
        *,
        open_url: Callable[[str], object],
    ) -> None:
        self._services = services
        self._runner = runner
        self._texts = texts
        self._open_url = open_url
        self._listeners: list[Callable[[View], None]] = []
        self._state = State.STARTING
        self._identity: Identity | None = None
        self._email = ""
        self._postponed = False
        self._quitting = False
        self._busy = False
        self._message: Message | None = None
        self._assistant_message: Message | None = None
        self._browser_url: str | None = None
        self._device: DevicePrompt | None = None
        self._send: SendForm | None = None
        self._attempt = 0
        self._cancellation = Cancellation()

    # What the view reads.

    @property
    def view(self) -> View:
        identity = self._identity
        return View(
            state=self._state,
            user_name=(identity.name or identity.email or identity.subject) if identity else None,
            email=self._email,
            banner=self._postponed and identity is None and self._state is not State.CLOSED,
            message=self._message,
            assistant_message=self._assistant_message,
            browser_url=self._browser_url,
            device=self._device,
            send=self._send,
            busy=self._busy,
        )

    def subscribe(self, listener: Callable[[View], None]) -> None:
        self._listeners.append(listener)

    def _emit(self) -> None:
        view = self.view
        for listener in list(self._listeners):
            listener(view)

    # Launch: the saved sign-in decides (seed, étape 4: kept 30 days).

    def launched(self) -> None:
        self._state = State.STARTING
        self._message = Message(Level.INFO, self._texts("starting"))
        self._emit()
        self._runner.run(self._services.restore, self._restored, self._not_restored)

    def _restored(self, identity: Identity) -> None:
        self._identity = identity
        self._message = None
        self._state = State.CLOSED if self._state is State.CLOSED else State.SIGNED_IN
        self._emit()

    def _not_restored(self, error: Exception) -> None:
        if self._state is State.CLOSED:
            return
        self._message = None
        if isinstance(error, SessionExpired):
            self._email = error.email
            self._open_assistant(expired=True)
        else:
            self._open_assistant()
            if not isinstance(error, SignInRequired):
                self._assistant_message = Message(Level.ERROR, describe_error(error, self._texts))
        self._emit()

    # The assistant (seed, étapes 1 and 2).

    def _open_assistant(self, *, expired: bool = False) -> None:
        self._state = State.SESSION_EXPIRED if expired else State.ASSISTANT
        self._assistant_message = None

    def edi_menu_clicked(self) -> None:
        """The « Sage EDI Online » button (or the banner's): the assistant, until migrated."""
        if self._identity is None and self._state not in ASSISTANT_STATES | {State.STARTING}:
            self._open_assistant()
        self._emit()

    def later_clicked(self) -> None:
        """« Plus tard », or closing the assistant: the banner, or the exit if quitting."""
        if self._state not in ASSISTANT_STATES:
            return
        self._cancel_sign_in()
        self._assistant_message = None
        if self._quitting:
            self._state = State.CLOSED
        else:
            self._postponed = True
            self._state = State.LATER
        self._emit()

    def start_clicked(self) -> None:
        """« Commencer »: ask the email."""
        if self._state in (State.ASSISTANT, State.SESSION_EXPIRED):
            self._state = State.EMAIL
            self._assistant_message = None
            self._emit()

    def email_submitted(self, email: str) -> None:
        """Sign in in the browser with `email` as `login_hint`."""
        if self._state is not State.EMAIL:
            return
        self._email = email.strip()
        if not _EMAIL.fullmatch(self._email):
            self._assistant_message = Message(Level.ERROR, self._texts("email_invalid"))
            self._emit()
            return
        self._sign_in(State.SIGNING_IN_BROWSER)

    def device_chosen(self) -> None:
        """« Utiliser un code »: the device flow instead (from the email page or the browser
        wait)."""
        if self._state in (State.EMAIL, State.SIGNING_IN_BROWSER):
            self._cancel_sign_in()
            self._sign_in(State.SIGNING_IN_DEVICE)

    def sign_in_cancelled(self) -> None:
        """« Annuler » while signing in: back to the email page."""
        if self._state in SIGNING_IN:
            self._cancel_sign_in()
            self._state = State.EMAIL
            self._assistant_message = Message(Level.INFO, self._texts("cancelled"))
            self._emit()

    def _cancel_sign_in(self) -> None:
        self._attempt += 1  # Whatever the cancelled attempt reports later is ignored.
        self._cancellation.cancel()
        self._browser_url = None
        self._device = None

    def _sign_in(self, state: State) -> None:
        self._attempt += 1
        attempt = self._attempt
        cancellation = self._cancellation = Cancellation()
        self._state = state
        self._assistant_message = None
        self._browser_url = None
        self._device = None
        self._emit()
        work: Callable[[], Identity]
        if state is State.SIGNING_IN_BROWSER:
            email = self._email

            def show_url(url: str) -> None:
                self._runner.post(lambda: self._browser_url_shown(attempt, url))

            def work() -> Identity:
                return self._services.sign_in_with_browser(email, show_url, cancellation)
        else:

            def show(authorization: DeviceAuthorization) -> None:
                self._runner.post(lambda: self._device_shown(attempt, authorization))

            def work() -> Identity:
                return self._services.sign_in_with_device(show, cancellation)

        self._runner.run(
            work,
            lambda identity: self._signed_in(attempt, identity),
            lambda error: self._sign_in_failed(attempt, error),
        )

    def _browser_url_shown(self, attempt: int, url: str) -> None:
        if attempt == self._attempt:
            self._browser_url = url
            self._emit()

    def _device_shown(self, attempt: int, authorization: DeviceAuthorization) -> None:
        if attempt == self._attempt:
            self._device = DevicePrompt(
                user_code=authorization.user_code,
                verification_uri=authorization.verification_uri,
                qr_data=authorization.verification_uri_complete or authorization.verification_uri,
                expires_at=authorization.expires_at,
            )
            self._emit()

    def _signed_in(self, attempt: int, identity: Identity) -> None:
        if attempt != self._attempt:
            return
        self._identity = identity
        self._postponed = False
        self._assistant_message = None
        self._browser_url = None
        self._device = None
        referenced = identity.referencing is None or bool(identity.referencing.accounts)
        if referenced:
            self._message = Message(Level.SUCCESS, self._texts("signed_in"))
        else:
            self._message = Message(Level.INFO, self._texts("not_referenced"))
        # Migrating at exit ends with the exit the user asked for.
        self._state = State.CLOSED if self._quitting else State.SIGNED_IN
        self._emit()

    def _sign_in_failed(self, attempt: int, error: Exception) -> None:
        if attempt != self._attempt:
            return
        self._browser_url = None
        self._device = None
        self._state = State.EMAIL
        self._assistant_message = Message(Level.ERROR, describe_error(error, self._texts))
        self._emit()

    # After the migration (seed, étape 4): the name menu.

    def tracking_clicked(self) -> None:
        """« Suivi des envois »: the portal's tracking page in the browser."""
        url = self._services.tracking_url()

        def opened(result: object) -> None:
            key = "tracking_opened" if result is not False else "browser_failed"
            level = Level.INFO if result is not False else Level.ERROR
            self._message = Message(level, self._texts(key, url=url))
            self._emit()

        def failed(_: Exception) -> None:
            opened(False)

        self._runner.run(lambda: self._open_url(url), opened, failed)

    def sign_out_clicked(self) -> None:
        """« Se déconnecter »: forget and revoke the sign-in; the banner is back."""
        if self._identity is None or self._busy:
            return
        self._busy = True
        self._emit()
        self._runner.run(self._services.sign_out, self._signed_out, self._sign_out_failed)

    def _signed_out(self, _: None) -> None:
        self._busy = False
        self._identity = None
        self._send = None
        self._postponed = True
        self._message = Message(Level.INFO, self._texts("signed_out"))
        if self._state is not State.CLOSED:
            self._state = State.LATER
        self._emit()

    def _sign_out_failed(self, error: Exception) -> None:
        self._busy = False
        self._message = Message(Level.ERROR, describe_error(error, self._texts))
        self._emit()

    # Sending a declaration.

    def send_clicked(self) -> None:
        """« Envoyer une déclaration »: the dialog once migrated, else the assistant."""
        if self._identity is None:
            if self._state not in ASSISTANT_STATES | {State.STARTING}:
                self._open_assistant()
                self._assistant_message = Message(Level.INFO, self._texts("sign_in_first"))
        elif self._send is None:
            self._send = SendForm(customers=_customers(self._identity))
        self._emit()

    def send_closed(self) -> None:
        self._send = None
        self._emit()

    def declaration_submitted(self, file: str, kind: str, customer: str) -> None:
        form = self._send
        if form is None or form.sending:
            return
        if problem := _missing_field(form, file, kind, customer):
            self._send = replace(form, result=Message(Level.ERROR, self._texts(problem)))
            self._emit()
            return
        self._send = replace(form, sending=True, result=None)
        self._emit()
        path, code = Path(file.strip()), customer.strip()
        self._runner.run(
            lambda: self._services.submit(path, kind, code), self._sent, self._send_failed
        )

    def _sent(self, submission: Submission) -> None:
        text = self._texts(
            "sent",
            file=submission.file_name,
            kind=submission.kind,
            customer=submission.customer_name or submission.customer_code,
            id=submission.id,
        )
        self._message = Message(Level.SUCCESS, text)
        if self._send is not None:
            self._send = replace(self._send, sending=False, result=self._message)
        self._emit()

    def _send_failed(self, error: Exception) -> None:
        if isinstance(error, SignInRequired) and self._state is not State.CLOSED:
            # The 30 days are over, or the sign-in was revoked: the assistant asks again.
            self._identity = None
            self._send = None
            self._message = None
            self._open_assistant(expired=True)
            self._assistant_message = Message(Level.ERROR, self._texts("session_expired"))
        else:
            self._message = Message(Level.ERROR, describe_error(error, self._texts))
            if self._send is not None:
                self._send = replace(self._send, sending=False, result=self._message)
        self._emit()

    # Quitting (seed, étape 1: the assistant also appears « en sortie »).

    def quit_requested(self) -> None:
        """Closing the main window: once more the assistant if not migrated, then exit."""
        ask = (
            self._identity is None
            and not self._quitting
            and self._state not in ASSISTANT_STATES | {State.STARTING, State.CLOSED}
        )
        if ask:
            self._quitting = True
            self._open_assistant()
        else:
            self._cancel_sign_in()
            self._state = State.CLOSED
        self._emit()
