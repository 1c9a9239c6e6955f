"""Client settings, resolved once: flags, then environment, then the config file, then the
defaults that match `make run`. The result is one frozen object.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

import platformdirs

from shared.scopes import ALL_SCOPES

from ._exceptions import ConfigError

# What `make run` registers (idp/demo.py): the provider on :8000 and its public desktop client.
DEFAULT_ISSUER: Final = "http://127.0.0.1:8000"
DEFAULT_CLIENT_ID: Final = "sage-desktop"
DEFAULT_LANGUAGE: Final = "fr"
LANGUAGES: Final = ("fr", "en")

# Every Sage ID scope; another provider may refuse those it does not know (`--scope`).
DEFAULT_LOGIN_SCOPE: Final = " ".join(ALL_SCOPES)

ISSUER_ENV: Final = "SAGEID_ISSUER"
CLIENT_ID_ENV: Final = "SAGEID_CLIENT_ID"
SCOPE_ENV: Final = "SAGEID_SCOPE"
# An access token given by the environment (CI), used instead of the cache (as GH_TOKEN).
TOKEN_ENV: Final = "SAGEID_TOKEN"
CONFIG_FILE_NAME: Final = "config.toml"
CONFIG_KEYS: Final = ("issuer", "client_id", "language", "insecure_storage", "scope")

_LOOPBACK_HOSTS: Final = frozenset({"127.0.0.1", "::1", "localhost"})
# POSIX locale variables, most specific first (gettext's order).
_LOCALE_VARIABLES: Final = ("LC_ALL", "LC_MESSAGES", "LANG")


def default_config_path() -> Path:
    """Return `config.toml` in the user's config directory (`platformdirs`)."""
    return Path(platformdirs.user_config_dir("sageid", appauthor=False)) / CONFIG_FILE_NAME


@dataclass(frozen=True)
class ClientConfig:
    """Which provider and client to use, and how; built by `load_client_config`."""

    issuer: str = DEFAULT_ISSUER
    client_id: str = DEFAULT_CLIENT_ID
    language: str = DEFAULT_LANGUAGE
    insecure_storage: bool = False
    scope: str = DEFAULT_LOGIN_SCOPE


def check_issuer(value: str, source: str) -> str:
    """Return `value` as an issuer identifier, or raise `ConfigError` naming `source`.

    OIDC Discovery §2: an https URL without query or fragment; plain http only on the
    loopback interface (RFC 8252 §8.3), which is where `make run` serves. A trailing slash
    is dropped, since the provider's `issuer` must match character for character.
    """
    parts = urlsplit(value.strip())
    loopback_http = parts.scheme == "http" and parts.hostname in _LOOPBACK_HOSTS
    if not (parts.scheme == "https" and parts.hostname) and not loopback_http:
        raise ConfigError(
            f"{source}: the issuer must be an https URL (or http on 127.0.0.1), got {value!r}"
        )
    if parts.query or parts.fragment:
        raise ConfigError(f"{source}: the issuer must not have a query or fragment: {value!r}")
    return value.strip().rstrip("/")


def _check_client_id(value: str, source: str) -> str:
    if not value or value != value.strip() or any(c.isspace() for c in value):
        raise ConfigError(f"{source}: the client id must be a non-empty word, got {value!r}")
    return value


def _check_scope(value: str, source: str) -> str:
    words = value.split()
    if not words or any(not w.isprintable() or '"' in w or "\\" in w for w in words):
        raise ConfigError(f"{source}: the scope must be space-separated scope names, got {value!r}")
    if "openid" not in words:
        raise ConfigError(f"{source}: the scope must include openid (an ID token names you)")
    return " ".join(words)


def _check_language(value: str, source: str) -> str:
    if value not in LANGUAGES:
        raise ConfigError(f"{source}: language must be one of {', '.join(LANGUAGES)}")
    return value


def read_config_file(path: Path) -> dict[str, Any]:
    """Return the settings in the TOML file at `path` ({} if there is none)."""
    try:
        with path.open("rb") as file:
            data = tomllib.load(file)
    except FileNotFoundError:
        return {}
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(f"{path}: cannot read the config file: {error}") from error
    unknown = sorted(set(data) - set(CONFIG_KEYS))
    if unknown:
        raise ConfigError(
            f"{path}: unknown setting(s) {', '.join(unknown)}; known: {', '.join(CONFIG_KEYS)}"
        )
    for key, value in data.items():
        expected = bool if key == "insecure_storage" else str
        if not isinstance(value, expected):
            raise ConfigError(f"{path}: {key} must be a {expected.__name__}")
    return data


def language_from_locale(environ: Mapping[str, str]) -> str | None:
    """Return `fr` or `en` from the POSIX locale variables, or `None` if they name neither."""
    for name in _LOCALE_VARIABLES:
        value = environ.get(name, "")
        if value and value not in ("C", "POSIX") and not value.startswith("C."):
            return "fr" if value.lower().startswith("fr") else "en"
    return None


def load_client_config(
    *,
    issuer: str | None = None,
    client_id: str | None = None,
    insecure_storage: bool = False,
    scope: str | None = None,
    environ: Mapping[str, str] | None = None,
    config_path: Path | None = None,
) -> ClientConfig:
    """Resolve the settings: arguments (the CLI flags), then `SAGEID_ISSUER` /
    `SAGEID_CLIENT_ID`, then the config file (default `default_config_path()`), then the
    defaults (`http://127.0.0.1:8000`, `sage-desktop`).

    The scopes asked at sign-in come from `scope`, `SAGEID_SCOPE`, the file's `scope`,
    else every Sage ID scope. `insecure_storage` is on if the caller or the config file
    asks for it. The page
    language comes from the config file, else the locale, else French.
    """
    env = os.environ if environ is None else environ
    path = config_path if config_path is not None else default_config_path()
    file = read_config_file(path)

    def pick(flag: str | None, option: str, variable: str | None) -> tuple[str, str] | None:
        if flag is not None:
            return flag, f"--{option.replace('_', '-')}"
        if variable is not None and env.get(variable):
            return env[variable], variable
        if option in file:
            return str(file[option]), f"{path} ({option})"
        return None

    chosen_issuer = pick(issuer, "issuer", ISSUER_ENV)
    chosen_client = pick(client_id, "client_id", CLIENT_ID_ENV)
    chosen_scope = pick(scope, "scope", SCOPE_ENV)
    language = file.get("language") or language_from_locale(env) or DEFAULT_LANGUAGE
    return ClientConfig(
        issuer=check_issuer(*chosen_issuer) if chosen_issuer else DEFAULT_ISSUER,
        client_id=_check_client_id(*chosen_client) if chosen_client else DEFAULT_CLIENT_ID,
        language=_check_language(language, f"{path} (language)"),
        insecure_storage=insecure_storage or bool(file.get("insecure_storage", False)),
        scope=_check_scope(*chosen_scope) if chosen_scope else DEFAULT_LOGIN_SCOPE,
    )
