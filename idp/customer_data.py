"""Customer data from outside: the CSV import (`sageid-idp customers import`) and the demo
customers of `make run`. The file format is documented in `idp.domain.customer_import`."""

from __future__ import annotations

from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

from idp.domain.customer_import import (
    RowError,
    parse_customer_file,
    unknown_customers,
)
from idp.domain.referencing import Permission, reference_by_notification_email
from idp.passwords import Passwords
from idp.store import Store
from idp.store.customer_import import ImportCounts
from idp.store.customers import ProfileExists


class UnreadableFile(ValueError):
    pass


def read_customer_file(path: Path) -> str:
    """UTF-8, with or without the BOM Excel writes."""
    try:
        return path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise UnreadableFile(
            f"{path} is not UTF-8 text (byte {error.start}): export it as CSV UTF-8"
        ) from error


async def import_customer_file(
    store: Store, text: str, now: float
) -> tuple[ImportCounts | None, list[RowError]]:
    """Import a whole file, or nothing: every row is checked first (including that the
    customers it names exist, in the file or in the database), and any error stops it."""
    plan, errors = parse_customer_file(text)
    errors += unknown_customers(plan, await store.customers.existing_codes(plan.undeclared))
    if errors:
        return None, sorted(errors, key=lambda e: e.line)
    return await store.customers.import_plan(plan, now), []


# --- Demo data -------------------------------------------------------------------------------

DEMO_CUSTOMER_FILE = "demo-customers.csv"


@dataclass(frozen=True)
class DemoAdministrator:
    email: str
    name: str
    password: str
    customer_code: str
    customer_name: str
    # A profile the administrator defined, and the emails they gave it to in advance.
    profile: str
    permissions: tuple[Permission, ...]
    assigned_to: tuple[str, ...]


DEMO_ADMINISTRATORS = (
    DemoAdministrator(
        "sophie.bernard@example.com",
        "Sophie Bernard",
        "Garage-Bernard-Atelier-7",
        "C0003560",
        "Garage Bernard",
        "Suivi des envois",
        (Permission.VIEW_TRACKING,),
        ("atelier@garage-bernard.fr",),
    ),
    DemoAdministrator(
        "julien.roux@example.com",
        "Julien Roux",
        "Pharmacie-Marche-2026",
        "C0004412",
        "Pharmacie du Marché",
        "Déclarations",
        (Permission.SUBMIT_DECLARATIONS, Permission.VIEW_TRACKING),
        ("paul.durand@example.com",),
    ),
)


async def load_demo_customers(store: Store, passwords: Passwords, now: float) -> list[str]:
    """Import the demo file and set up its administrators (idempotent); the lines to print."""
    text = files("idp").joinpath("data", DEMO_CUSTOMER_FILE).read_text(encoding="utf-8")
    _, errors = await import_customer_file(store, text, now)
    if errors:
        raise ValueError("; ".join(str(e) for e in errors))
    for admin in DEMO_ADMINISTRATORS:
        await _administrator(store, passwords, admin, now)
    lines = ["Demo customer accounts (scope `referencing`; administrators / password):"]
    lines += [
        f"  {a.email} / {a.password}: administrator of {a.customer_code} {a.customer_name}"
        for a in DEMO_ADMINISTRATORS
    ]
    lines += [
        "  paul.durand@example.com: referenced automatically at sign-in to C0002087 (no",
        "    administrator: default profile) and C0004412 (profile 'Déclarations' pre-assigned",
        "    by its administrator)",
        "  claire.petit@example.com: no Sage ID yet; create it, verify the code, and it is",
        "    referenced automatically to C0003560 Garage Bernard (default profile)",
        "  marie.martin@example.com: referencing by proof: customer code C0001234 with invoice",
        "    FA-2025-004711 or serial SP7-4K2Q-99XA-1187 (page /reference)",
    ]
    return lines


async def _administrator(
    store: Store, passwords: Passwords, admin: DemoAdministrator, now: float
) -> None:
    user = await store.users.by_email(admin.email)
    if user is None:
        user = await store.users.add(
            email=admin.email,
            name=admin.name,
            password_hash=await passwords.hash(admin.password),
            email_verified=True,
            now=now,
        )
    facts = await store.customers.referencing_facts(user.id, user.email)
    new = reference_by_notification_email(
        facts.candidates, email_verified=True, already_referenced=facts.referenced
    )
    await store.customers.reference(user.id, new, now)
    await store.customers.become_administrator(admin.customer_code, user.id, now)
    existing = {p.name: p for p in await store.customers.profiles_of(admin.customer_code)}
    profile = existing.get(admin.profile)
    if profile is None:
        try:
            profile = await store.customers.add_profile(
                admin.customer_code, admin.profile, admin.permissions, now
            )
        except ProfileExists:  # another `demo` run meanwhile
            return
    for email in admin.assigned_to:
        await store.customers.assign_profile(admin.customer_code, email, profile.id, now)
