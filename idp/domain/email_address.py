"""Is a typed email address worth a database lookup and a mail? Deliberately lenient (the
emailed code is the real check); it refuses what cannot be an address."""

from __future__ import annotations

MAX_LENGTH = 320  # RFC 3696 errata: 64 for the local part, 255 for the domain, and the @


def is_plausible_email(address: str) -> bool:
    local, at, domain = address.rpartition("@")
    return (
        bool(at and local and domain)
        and len(address) <= MAX_LENGTH
        and "." in domain.strip(".")
        and not any(ch.isspace() or ch in '<>,;"()[]\\' for ch in address)
        and ".." not in domain
    )
