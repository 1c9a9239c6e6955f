"""Shared steps of the seed's journeys (issue 18)."""

from __future__ import annotations

import html
import re

import httpx

from idp.context import AppContext
from idp.domain.referencing import Method, NewMembership
from idp.store.records import UserRecord
from tests.referencing.helpers import PHARMACIE, add_user
from tests.support import csrf_of


def text_of(page: httpx.Response) -> str:
    """The page's words, as read: tags dropped, spaces collapsed."""
    words = re.sub(r"<[^>]+>", "", page.text)
    return html.unescape(re.sub(r"\s+", " ", words))


async def post_form(
    http: httpx.AsyncClient, page: str, action: str, **fields: str
) -> httpx.Response:
    token = csrf_of((await http.get(page)).text)
    return await http.post(action, data={"csrf_token": token, **fields})


async def administrator_of_pharmacie(ctx: AppContext) -> UserRecord:
    """Sophie, a member of the pharmacy, is its administrator."""
    now = ctx.clock.now()
    sophie = await add_user(ctx.store, "sophie.bernard@example.com", now, name="Sophie Bernard")
    default = next(p for p in await ctx.store.customers.profiles_of(PHARMACIE) if p.is_default)
    await ctx.store.customers.reference(
        sophie.id, [NewMembership(PHARMACIE, default.id, Method.ADMIN)], now
    )
    await ctx.store.customers.become_administrator(PHARMACIE, sophie.id, now)
    return sophie
