"""The emailed code: attempts, expiry, single use, resend limits, per-IP budget, mail failure."""

from __future__ import annotations

from email.message import EmailMessage

import httpx
import pytest

from idp.clock import FrozenClock
from idp.context import AppContext
from idp.i18n import french_spacing
from idp.mail import MailDeliveryError, Mailer
from tests.accounts.helpers import (
    NEW_EMAIL,
    enter_code,
    last_code,
    mail_count,
    signup,
    submit,
    wrong,
)
from tests.support import Seeded


async def _verified(ctx: AppContext) -> bool:
    user = await ctx.store.users.by_email(NEW_EMAIL)
    assert user is not None
    return user.email_verified


async def test_five_wrong_codes_kill_the_code_until_a_new_one_is_sent(
    client: httpx.AsyncClient, ctx: AppContext, seeded: Seeded, clock: FrozenClock
) -> None:
    page = await signup(client)
    code = last_code(ctx.settings)
    for left in (4, 3, 2, 1):
        answer = await enter_code(client, page, wrong(code))
        assert answer.status_code == 400
        assert french_spacing(f"Ce code est incorrect. Essais restants : {left}.") in answer.text
    fifth = await enter_code(client, page, wrong(code))
    assert french_spacing("Trop de codes erronés : ce code ne fonctionne plus.") in fifth.text
    late = await enter_code(client, page, code)  # the right code, too late
    assert late.status_code == 400 and "Demandez un nouveau code." in late.text
    assert not await _verified(ctx)

    clock.advance(61)
    resent = await submit(client, page, "/verify/resend")
    assert resent.status_code == 200
    assert f"Un nouveau code a été envoyé sur l’adresse email {NEW_EMAIL}." in resent.text
    new_code = last_code(ctx.settings)
    assert (await enter_code(client, resent, new_code)).status_code == 303
    assert await _verified(ctx)


async def test_an_expired_code_is_refused(
    client: httpx.AsyncClient, ctx: AppContext, seeded: Seeded, clock: FrozenClock
) -> None:
    page = await signup(client)
    clock.advance(15 * 60)
    answer = await enter_code(client, page, last_code(ctx.settings))
    assert answer.status_code == 400
    assert "Ce code a expiré. Demandez un nouveau code." in answer.text
    assert not await _verified(ctx)


async def test_a_superseded_code_no_longer_works(
    client: httpx.AsyncClient, ctx: AppContext, seeded: Seeded, clock: FrozenClock
) -> None:
    page = await signup(client)
    old = last_code(ctx.settings)
    clock.advance(61)
    await submit(client, page, "/verify/resend")
    new = last_code(ctx.settings)
    if old != new:  # one chance in a million that they are equal
        assert (await enter_code(client, page, old)).status_code == 400
    assert (await enter_code(client, page, new)).status_code == 303


async def test_a_code_is_single_use(
    client: httpx.AsyncClient, ctx: AppContext, seeded: Seeded
) -> None:
    page = await signup(client)
    code = last_code(ctx.settings)
    user = await ctx.store.users.by_email(NEW_EMAIL)
    assert user is not None
    challenge = await ctx.store.challenges.current(user.id, "verify")
    assert challenge is not None
    assert code not in challenge.code_hash  # stored as an HMAC only
    assert (await enter_code(client, page, code)).status_code == 303
    assert (
        await ctx.store.challenges.record_attempt(challenge.id, accepted=True, now=ctx.clock.now())
    ).verdict.value == "consumed"


@pytest.mark.parametrize(
    ("wait", "status", "message"),
    [
        (0, 429, "Un code a été envoyé il y a moins d’une minute."),
        (30, 429, "dans 30 s."),
        (60, 200, "Un nouveau code a été envoyé"),
    ],
)
async def test_resend_waits_a_minute(
    client: httpx.AsyncClient,
    ctx: AppContext,
    seeded: Seeded,
    clock: FrozenClock,
    wait: int,
    status: int,
    message: str,
) -> None:
    page = await signup(client)
    clock.advance(wait)
    resent = await submit(client, page, "/verify/resend")
    assert resent.status_code == status and message in resent.text
    assert mail_count(ctx.settings) == (2 if status == 200 else 1)


async def test_resend_flood_stops_at_five_codes_an_hour(
    client: httpx.AsyncClient, ctx: AppContext, seeded: Seeded, clock: FrozenClock
) -> None:
    page = await signup(client)
    for _ in range(4):
        clock.advance(61)
        assert (await submit(client, page, "/verify/resend")).status_code == 200
    assert mail_count(ctx.settings) == 5
    clock.advance(61)
    flood = await submit(client, page, "/verify/resend")
    assert flood.status_code == 429
    # The first code was mailed 5 × 61 s ago: the hour frees up in 3600 - 305 s = 55 min.
    assert "Vous avez demandé 5 codes en une heure." in flood.text
    assert "dans 55 min." in flood.text
    assert mail_count(ctx.settings) == 5
    clock.advance(55 * 60)
    assert (await submit(client, page, "/verify/resend")).status_code == 200


async def test_the_code_budget_per_ip_holds_across_codes(
    client: httpx.AsyncClient, ctx: AppContext, seeded: Seeded, clock: FrozenClock
) -> None:
    page = await signup(client)
    for _ in range(4):  # 4 codes × 5 wrong tries = the 20 failures of EMAIL_CODE_PER_IP
        code = last_code(ctx.settings)
        for _ in range(5):
            await enter_code(client, page, wrong(code))
        clock.advance(61)
        page = await submit(client, page, "/verify/resend")
    locked = await enter_code(client, page, last_code(ctx.settings))
    assert locked.status_code == 429
    assert "Trop de codes erronés ont été saisis depuis votre réseau." in locked.text
    assert not await _verified(ctx)
    clock.advance(15 * 60)  # the lock lifts; by now that code has expired too
    lifted = await enter_code(client, page, last_code(ctx.settings))
    assert lifted.status_code == 400 and "Ce code a expiré." in lifted.text


class BrokenMailer:
    async def send(self, message: EmailMessage) -> None:
        raise MailDeliveryError("relay down")


async def test_a_failed_mail_is_reported_and_the_code_can_be_sent_again_at_once(
    client: httpx.AsyncClient, ctx: AppContext, seeded: Seeded
) -> None:
    working: Mailer = ctx.mailer
    ctx.mailer = BrokenMailer()
    try:
        page = await signup(client)
        assert page.status_code == 503
        assert "Nous n’avons pas pu envoyer le code. Réessayez dans un instant." in page.text
        assert "Un code de vérification est envoyé" not in page.text
        assert await ctx.store.users.by_email(NEW_EMAIL) is not None  # the account stays
        again = await submit(client, page, "/verify/resend")
        assert again.status_code == 503
    finally:
        ctx.mailer = working
    resent = await submit(client, page, "/verify/resend")  # no minute to wait
    assert resent.status_code == 200
    assert (await enter_code(client, resent, last_code(ctx.settings))).status_code == 303
    assert await _verified(ctx)
