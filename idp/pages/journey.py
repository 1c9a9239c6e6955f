"""What every page of the sign-in journey carries from step to step: where to go once signed
in (`next`, which holds the authorization request and its `ui_locales`) and the language, in
hidden fields and links, so a multi-step journey keeps the language it started in."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from idp.context import context
from idp.i18n import negotiate_locale
from idp.web.forms import Form, first, posted_form
from idp.web.navigation import safe_next
from idp.web.templating import request_locale


def _ui_locales_of(following: str) -> str | None:
    return parse_qs(urlsplit(following).query).get("ui_locales", [None])[0]


@dataclass(frozen=True)
class Journey:
    following: str  # a safe path on this provider (`safe_next`)
    locale: str

    @classmethod
    def from_query(cls, request: Request) -> Journey:
        return cls(safe_next(request.query_params.get("next")), request_locale(request))

    @classmethod
    async def from_form(cls, request: Request) -> tuple[Journey, Form]:
        """Read a posted form of the journey, CSRF checked first."""
        form = await posted_form(request)
        following = safe_next(first(form, "next"))
        ui_locales = first(form, "ui_locales") or _ui_locales_of(following)
        locale = negotiate_locale(ui_locales, request.headers.get("accept-language"))
        return cls(following, locale), form

    @property
    def client_id(self) -> str | None:
        """The client of the authorization request being resumed, if any (audit trail)."""
        values = parse_qs(urlsplit(self.following).query).get("client_id")
        return values[0][:64] if values else None

    @property
    def query(self) -> str:
        """For links to the journey's other pages."""
        return urlencode({"next": self.following, "ui_locales": self.locale})

    def url(self, path: str, **extra: str) -> str:
        return f"{path}?{self.query}" + (f"&{urlencode(extra)}" if extra else "")

    def redirect(self, path: str, **extra: str) -> Response:
        return RedirectResponse(self.url(path, **extra), status_code=303)

    def render(
        self, request: Request, template: str, values: dict[str, Any], *, status: int = 200
    ) -> Response:
        return context(request).templates.render(
            request,
            template,
            {"next": self.following, "journey_query": self.query, **values},
            status=status,
            locale=self.locale,
        )
