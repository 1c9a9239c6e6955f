"""The one email rule: how an address is compared (`normalise_email`) and whether a typed one
is worth a database lookup and a mail (`is_plausible_email`). Sign-up and sign-in, the account
page, the portal, the customer import and the submissions API all use these two, so an address
one of them accepts is accepted by all. Deliberately lenient (the emailed code is the real
check); it refuses what cannot be an address."""

from __future__ import annotations

MAX_LENGTH = 320  # RFC 3696 errata: 64 for the local part, 255 for the domain, and the @
# Specials (RFC 5322 §3.2.3) an unquoted address never holds, a second @ included: quoted
# local parts are refused with them, no mail provider a Sage customer uses hands them out.
FORBIDDEN = frozenset('<>,;"()[]\\@')


def normalise_email(raw: str) -> str:
    """Trim and case-fold, so `Jean@Example.fr ` and `jean@example.fr` are one account (and a
    notification address compares equal to the Sage ID email)."""
    return raw.strip().casefold()


def is_plausible_email(address: str) -> bool:
    local, at, domain = address.rpartition("@")
    return (
        bool(at and local and domain)
        and len(address) <= MAX_LENGTH
        and "." in domain.strip(".")
        and ".." not in domain
        and not any(ch.isspace() or ch in FORBIDDEN for ch in local + domain)
    )
