"""The `sageid` console script. `sageid token` with a fresh access token in the cache is
answered here, before click and the command modules are even imported (a script may call
it on every request: see bench/client.py); everything else, and any doubt, goes to the
click CLI (`client.cli`), which gives the same answer the long way.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence

from ._config import TOKEN_ENV, load_client_config
from ._exceptions import SageIDError

REFRESH_MARGIN = 60.0  # as `Session`: renewed when less than a minute is left


def fresh_cached_token(environ: Mapping[str, str]) -> str | None:
    """The token `sageid token` would print without touching the network, or `None` when
    only the full command can say (nothing cached, several accounts, a refresh due, …)."""
    token = environ.get(TOKEN_ENV)
    if token:
        return token
    from ._accounts import active_subject, choose_account
    from ._cache import TokenCache
    from ._clock import SystemClock

    try:
        config = load_client_config(environ=environ)
        cache = TokenCache(
            insecure_storage=config.insecure_storage, environ=environ, warn_fallback=False
        )
        entries = [e for e in cache.entries() if e.matches(config.issuer, config.client_id)]
        if not entries:
            return None
        active = active_subject(cache.directory, config.issuer, config.client_id)
        entry = choose_account(entries, active, None)
    except (SageIDError, OSError):
        return None
    if not entry.access_token_fresh(SystemClock().now(), REFRESH_MARGIN):
        return None
    return entry.access_token


def main(argv: Sequence[str] | None = None) -> None:
    """Console script entry point."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments == ["token"]:
        token = fresh_cached_token(os.environ)
        if token is not None:
            sys.stdout.write(token + "\n")
            return
    from .cli import main as full

    full()
