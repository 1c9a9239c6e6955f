"""Customer data and shortcuts shared by the referencing tests."""

from __future__ import annotations

import httpx

from idp.customer_data import import_customer_file
from idp.store import Store
from idp.store.customer_import import ImportCounts
from idp.store.records import UserRecord
from idp.web.sessions import cookie_name

# Boulangerie Martin: proofs only (Marie Martin's by-proof path). Cabinet Durand: no
# administrator. Pharmacie du Marché: an administrator is set up by the tests that need one.
CUSTOMERS = """\
customer_code,kind,value
C0001234,customer,Boulangerie Martin
C0001234,invoice,FA-2025-004711
C0001234,serial,SP7-4K2Q-99XA-1187
C0002087,customer,Cabinet Comptable Durand
C0002087,invoice,FA-2025-010542
C0002087,notification_email,paul.durand@example.com
C0004412,customer,Pharmacie du Marché
C0004412,notification_email,Paul.Durand@example.com
C0004412,notification_email,julien.roux@example.com
"""
BOULANGERIE = "C0001234"
CABINET = "C0002087"
PHARMACIE = "C0004412"
PAUL = "paul.durand@example.com"
JULIEN = "julien.roux@example.com"


async def import_customers(store: Store, now: float, text: str = CUSTOMERS) -> ImportCounts:
    counts, errors = await import_customer_file(store, text, now)
    assert errors == [] and counts is not None
    return counts


async def add_user(
    store: Store, email: str, now: float, *, name: str = "Test", verified: bool = True
) -> UserRecord:
    return await store.users.add(
        email=email, name=name, password_hash="unused", email_verified=verified, now=now
    )


async def browser_signed_in(
    http: httpx.AsyncClient, store: Store, user_id: str, now: float
) -> None:
    """A signed-in browser without going through the sign-in pages (they are another
    feature's, and change)."""
    session_id = await store.sessions.create(user_id, now=now, lifetime=3600)
    http.cookies.set(cookie_name(False), session_id)
