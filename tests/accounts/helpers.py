"""Driving the account pages like a browser: submit a page's form with its hidden fields, and
read the codes that were mailed."""

from __future__ import annotations

import html
import re
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default as default_policy
from pathlib import Path

import httpx

from idp.settings import Settings

NEW_EMAIL = "jean.dupont@example.fr"
NEW_NAME = "Jean Dupont"
NEW_PASSWORD = "Fournil de la Place 1987"
OTHER_PASSWORD = "Pain au levain tous les matins"

_FORM = re.compile(r'<form method="post" action="([^"]+)"[^>]*>(.*?)</form>', re.S)
_HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')
_CODE = re.compile(r"\b(\d{6})\b")


def forms(page: str) -> dict[str, dict[str, str]]:
    """The hidden fields of each form on the page, by action."""
    return {
        action: {name: html.unescape(value) for name, value in _HIDDEN.findall(body)}
        for action, body in _FORM.findall(page)
    }


async def submit(
    http: httpx.AsyncClient, page: httpx.Response, action: str, **fields: str
) -> httpx.Response:
    """Post the page's form for `action`: its hidden fields (CSRF, next, language) and ours."""
    hidden = forms(page.text).get(action)
    assert hidden is not None, f"no form for {action} in {page.text}"
    return await http.post(action, data={**hidden, **fields})


def messages(outbox: Path) -> list[EmailMessage]:
    """The mails written to the outbox folder, oldest first."""
    files = sorted(outbox.glob("*.eml"))  # named by UTC time of writing
    parser = BytesParser(policy=default_policy)
    return [parser.parsebytes(path.read_bytes()) for path in files]


def code_in(message: EmailMessage) -> str:
    found = _CODE.search(str(message["Subject"]))
    assert found, message["Subject"]
    return found.group(1)


def last_code(settings: Settings, to: str = NEW_EMAIL) -> str:
    mails = [m for m in messages(settings.outbox_dir) if to in str(m["To"])]
    assert mails, f"no mail to {to}"
    return code_in(mails[-1])


def mail_count(settings: Settings) -> int:
    return len(list(settings.outbox_dir.glob("*.eml")))


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


async def signup(
    http: httpx.AsyncClient,
    *,
    email: str = NEW_EMAIL,
    name: str = NEW_NAME,
    password: str = NEW_PASSWORD,
    confirmation: str | None = None,
    following: str = "/account",
    ui_locales: str | None = None,
) -> httpx.Response:
    params = {"next": following}
    if ui_locales:
        params["ui_locales"] = ui_locales
    page = await http.get("/signup", params=params)
    return await submit(
        http,
        page,
        "/signup",
        email=email,
        name=name,
        password=password,
        confirmation=password if confirmation is None else confirmation,
    )


async def enter_code(http: httpx.AsyncClient, page: httpx.Response, code: str) -> httpx.Response:
    return await submit(http, page, "/verify", code=code)
