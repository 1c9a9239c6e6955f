"""Everything a handler needs, built once by `create_app` and reached from the request."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from starlette.requests import Request

from idp.clock import Clock
from idp.keys import KeyRing
from idp.mail import Mailer
from idp.metrics import Metrics
from idp.oauth.access_tokens import AccessTokenValidator
from idp.oauth.backchannel import BackchannelLogout
from idp.oauth.bridge import Bridge
from idp.oauth.dpop import DPoPVerifier
from idp.oauth.server import SageAuthorizationServer
from idp.passwords import Passwords
from idp.settings import Settings
from idp.store import Store

if TYPE_CHECKING:  # `create_app` builds these; importing them here would loop (web, api → context)
    from idp.api.upload_slots import UploadSlots
    from idp.web.csrf import Csrf
    from idp.web.prebuilt import CachedDocument
    from idp.web.templating import Templates


@dataclass
class AppContext:
    settings: Settings
    clock: Clock
    store: Store
    keys: KeyRing
    server: SageAuthorizationServer
    bridge: Bridge
    passwords: Passwords
    csrf: Csrf
    templates: Templates
    userinfo_validator: AccessTokenValidator
    api_validator: AccessTokenValidator  # the submissions API (`aud` = <issuer>/api/v1)
    mailer: Mailer
    discovery: CachedDocument
    jwks: CachedDocument
    backchannel: BackchannelLogout  # issue 15: logout tokens to clients
    dpop: DPoPVerifier  # issue 16: DPoP proofs (RFC 9449)
    upload_slots: UploadSlots  # `settings.upload_slots` submissions read at once
    metrics: Metrics = field(default_factory=Metrics)


def context(request: Request) -> AppContext:
    ctx: AppContext = request.app.state.ctx
    return ctx
