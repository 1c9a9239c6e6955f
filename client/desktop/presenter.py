"""The migration assistant as a state machine, without a window (seed, étapes 1, 2 and 4).

The view calls one method per user action (`start_clicked`, `later_clicked` …) and redraws
from the `View` snapshot it is handed after every change. Everything that touches the world
goes through the seams of `seams.py`: `Services` (the client library: the saved sign-in,
signing in, the submissions API), a `Runner` (long work off the UI thread, results back on
it) and `open_url`. So the tests drive it headless, with fakes, and never wait.

States (`State`) and the events that move between them:

```
STARTING           a saved sign-in              → SIGNED_IN
                   none                         → ASSISTANT (not migrated yet)
                   migrated, none any more      → SESSION_EXPIRED (why: `Again`)
ASSISTANT          « Commencer »                → EMAIL
                   « Plus tard », closed        → LATER (the banner); CLOSED when quitting
SESSION_EXPIRED    « Se reconnecter » (email    → SIGNING_IN_BROWSER
                   pre-filled)
                   closed (Escape)              → LATER (the banner says why)
EMAIL              an email                     → SIGNING_IN_BROWSER
                   « Utiliser un code »         → SIGNING_IN_DEVICE
SIGNING_IN_…       finished                     → SIGNED_IN; CLOSED when quitting
                   failed, « Annuler »          → EMAIL, with the message
LATER              « Sage EDI Online », send    → ASSISTANT, or SESSION_EXPIRED once migrated
                   quit                         → ASSISTANT (quitting) if not migrated, CLOSED
SIGNED_IN          « Se déconnecter »           → LATER (migrated: « reconnectez-vous »)
                   sending finds it over        → SESSION_EXPIRED (expired or revoked)
                   quit                         → CLOSED
```

A computer that has migrated never hears « pas encore basculé » again: after a sign-out,
an expiry or a revocation the banner and the assistant say what happened and ask to sign in
again, with the email of the last sign-in filled in.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from client import DeviceAuthorization, Identity, SignInRequired, SignInRevoked, Submission

from .i18n import Texts
from .model import (
    ASSISTANT_STATES,
    SIGNING_IN,
    Again,
    Customer,
    DevicePrompt,
    Level,
    Message,
    SendForm,
    State,
    View,
    describe_error,
    submission_reference,
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
        self._sending_file = ""
        self._cancellation = Cancellation()
        self._again: Again | None = None  # migrated, signed out: why

    # What the view reads.

    @property
    def view(self) -> View:
        identity = self._identity
        again = self._again if identity is None else None
        banner = (
            (self._postponed or again is not None)
            and identity is None
            and self._state not in (State.CLOSED, State.STARTING)
        )
        texts = self._texts
        heading = text = None
        buttons: tuple[str, ...] = ()
        if self._state is State.ASSISTANT:
            heading, text = texts("welcome_heading"), texts("welcome_text")
            buttons = ("later", "start")
        elif self._state is State.SESSION_EXPIRED:
            reason = again.value if again is not None else Again.EXPIRED.value
            heading, text = texts("expired_heading"), texts(f"{reason}_text")
            buttons = ("sign_in_again",)  # one button; the email is filled in
        return View(
            state=self._state,
            user_name=(identity.name or identity.email or identity.subject) if identity else None,
            email=self._email,
            banner=banner,
            message=self._message,
            assistant_message=self._assistant_message,
            browser_url=self._browser_url,
            device=self._device,
            send=self._send,
            busy=self._busy,
            again=again,
            banner_text=(texts(f"banner_{again.value}" if again else "banner") if banner else None),
            banner_action=(
                texts("sign_in_again" if again else "banner_action") if banner else None
            ),
            assistant_heading=heading,
            assistant_text=text,
            assistant_buttons=buttons,
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
            self._again = Again.SIGNED_OUT if error.reason == "signed_out" else Again.EXPIRED
            self._open_assistant()
        else:
            self._open_assistant()
            if not isinstance(error, SignInRequired):
                self._assistant_message = Message(Level.ERROR, describe_error(error, self._texts))
        self._emit()

    # The assistant (seed, étapes 1 and 2).

    def _open_assistant(self) -> None:
        # Once migrated, the assistant asks to sign in again; before, it presents the migration.
        self._state = State.ASSISTANT if self._again is None else State.SESSION_EXPIRED
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
        if self._state is State.ASSISTANT:
            self._state = State.EMAIL
            self._assistant_message = None
            self._emit()

    def email_submitted(self, email: str) -> None:
        """Sign in in the browser with `email` as `login_hint` (« Continuer », or
        « Se reconnecter » with the email of the last sign-in)."""
        if self._state not in (State.EMAIL, State.SESSION_EXPIRED):
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
        if self._state in (State.EMAIL, State.SESSION_EXPIRED, State.SIGNING_IN_BROWSER):
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
        self._again = None
        self._email = identity.email or self._email
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
        if self._identity is not None:
            self._email = self._identity.email or self._email
        self._identity = None
        self._send = None
        self._again = Again.SIGNED_OUT
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
                if self._again is None:
                    self._assistant_message = Message(Level.INFO, self._texts("sign_in_first"))
        elif self._send is None:
            self._send = SendForm(customers=_customers(self._identity))
        self._emit()

    def send_closed(self) -> None:
        self._send = None
        self._emit()

    def send_file_changed(self, file: str) -> None:
        """The file typed or chosen: a new file may be sent (the one just sent may not)."""
        if self._send is not None and self._send.file != file:
            self._send = replace(self._send, file=file)
            self._emit()

    def declaration_submitted(self, file: str, kind: str, customer: str) -> None:
        form = self._send
        if form is None:
            return
        form = self._send = replace(form, file=file)
        if not form.can_send:  # sending, or this very file was just sent
            return
        if problem := _missing_field(form, file, kind, customer):
            self._send = replace(form, result=Message(Level.ERROR, self._texts(problem)))
            self._emit()
            return
        self._send = replace(form, sending=True, result=None)
        self._sending_file = file
        self._emit()
        path, code = Path(file.strip()), customer.strip()
        self._runner.run(
            lambda: self._services.submit(path, kind, code), self._sent, self._send_failed
        )

    def _sent(self, submission: Submission) -> None:
        text = self._texts(
            "sent",
            kind=submission.kind,
            customer_name=submission.customer_name or submission.customer_code,
            customer_code=submission.customer_code,
            reference=submission_reference(submission.id),
        )
        self._message = Message(Level.SUCCESS, text)
        if self._send is not None:
            self._send = replace(
                self._send, sending=False, result=self._message, sent_file=self._sending_file
            )
        self._emit()

    def _send_failed(self, error: Exception) -> None:
        if isinstance(error, SignInRequired) and self._state is not State.CLOSED:
            # The 30 days are over, or the sign-in was revoked: the assistant asks again.
            if self._identity is not None:
                self._email = self._identity.email or self._email
            self._identity = None
            self._send = None
            self._message = None
            self._again = Again.REVOKED if isinstance(error, SignInRevoked) else Again.EXPIRED
            self._open_assistant()
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
            and self._again is None  # migrated: nothing to ask at exit
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
