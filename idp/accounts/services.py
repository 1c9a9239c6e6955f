"""What the account rules use of the running provider, and nothing more: no request, no web
framework, not the whole app context (`idp.context.AppContext` has these members, so a handler
passes its context; a test can pass anything that has them)."""

from __future__ import annotations

from typing import Protocol

from idp.clock import Clock
from idp.keys import KeyRing
from idp.mail import Mailer
from idp.oauth.backchannel import BackchannelLogout
from idp.passwords import Passwords
from idp.settings import Settings
from idp.store import Store


class AccountServices(Protocol):
    @property
    def settings(self) -> Settings: ...

    @property
    def clock(self) -> Clock: ...

    @property
    def store(self) -> Store: ...

    @property
    def passwords(self) -> Passwords: ...

    @property
    def mailer(self) -> Mailer: ...

    @property
    def keys(self) -> KeyRing: ...  # derived keys: code hashes, sealed second-factor secrets

    @property
    def backchannel(self) -> BackchannelLogout: ...  # ended sessions are told to clients
