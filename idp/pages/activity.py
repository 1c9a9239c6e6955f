"""A user's own activity in the audit trail (issue 14): their recent sign-ins, shown on the
account page and on the portal's *Profil* (issue 18), and the record of their own changes."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from idp import audit
from idp.audit import Kind
from idp.context import AppContext, context
from idp.i18n import N_
from idp.pages.portal import format_time
from idp.web.client_ip import client_ip

RECENT_SIGN_INS = 10
SIGN_IN_OUTCOMES = {
    "success": N_("Signed in"),
    "failure": N_("Wrong password"),
    "refused": N_("Refused: too many attempts"),
}


async def recent_sign_ins(ctx: AppContext, user_id: str, locale: str) -> list[dict[str, Any]]:
    recent = await ctx.store.audit.list(
        subject=user_id, kinds=(str(Kind.SIGN_IN),), limit=RECENT_SIGN_INS
    )
    return [
        {
            "at": format_time(event.at, locale),
            "client": _client_name(ctx, event.client_id),
            "ip": event.ip or "",
            "outcome": SIGN_IN_OUTCOMES.get(event.outcome, SIGN_IN_OUTCOMES["failure"]),
            "failed": event.outcome != "success",
        }
        for event in recent
    ]


def _client_name(ctx: AppContext, client_id: str | None) -> str:
    client = ctx.store.client_cache.get(client_id) if client_id else None
    return client.name if client else ""


async def record_action(
    request: Request,
    kind: Kind,
    actor_id: str,
    subject: str | None,
    detail: audit.Detail | None = None,
    *,
    client_id: str | None = None,
) -> None:
    """Audit a change a signed-in person made from a page: they are the actor, the request
    gives the time (the app's clock) and the address."""
    ctx = context(request)
    await audit.record(
        ctx.store,
        kind,
        at=ctx.clock.now(),
        subject=subject,
        actor=audit.user_actor(actor_id),
        client_id=client_id,
        ip=client_ip(request),
        detail=detail,
    )


async def record_own_action(
    request: Request,
    kind: Kind,
    user_id: str,
    detail: audit.Detail | None = None,
    *,
    client_id: str | None = None,
) -> None:
    """Audit a change the signed-in user made to their own Sage ID (actor = subject)."""
    await record_action(request, kind, user_id, user_id, detail, client_id=client_id)
