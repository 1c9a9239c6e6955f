"""argon2id password hashing, always off the event loop and in its own small limiter: a hash
takes milliseconds and would otherwise stall every other request (DESIGN §5)."""

from __future__ import annotations

import anyio
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from idp.settings import PasswordHashing


class Passwords:
    def __init__(self, params: PasswordHashing, slots: int = 2) -> None:
        self._hasher = PasswordHasher(
            memory_cost=params.memory_cost_kib,
            time_cost=params.time_cost,
            parallelism=params.parallelism,
        )
        self._limiter = anyio.CapacityLimiter(slots)
        # Verified against when the account does not exist, so that the response time does not
        # tell whether it does.
        self._dummy = self._hasher.hash("sage-id timing equaliser")

    async def hash(self, password: str) -> str:
        return await anyio.to_thread.run_sync(self._hasher.hash, password, limiter=self._limiter)

    async def verify(self, password_hash: str | None, password: str) -> tuple[bool, str | None]:
        """(matches, new hash when the stored one uses outdated parameters)."""

        def check() -> tuple[bool, str | None]:
            try:
                self._hasher.verify(password_hash or self._dummy, password)
            except (VerifyMismatchError, VerificationError, InvalidHashError):
                return False, None
            if password_hash is None:
                return False, None
            if self._hasher.check_needs_rehash(password_hash):
                return True, self._hasher.hash(password)
            return True, None

        return await anyio.to_thread.run_sync(check, limiter=self._limiter)
