"""How a profile is named on a page. The built-in profiles keep stable identifiers in the
store and the `referencing` claim (`default`, `administrator`); pages show them in the user's
language (issue 18). An administrator's own profiles are shown as named, never translated."""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from idp.domain.referencing import ADMINISTRATOR_PROFILE, DEFAULT_PROFILE
from idp.i18n import N_

BUILTIN_PROFILE_NAMES: Final = {
    DEFAULT_PROFILE: N_("Default profile"),
    ADMINISTRATOR_PROFILE: N_("Administrator"),
}


def profile_name(stored: str, gettext: Callable[[str], str]) -> str:
    label = BUILTIN_PROFILE_NAMES.get(stored)
    return gettext(label) if label is not None else stored
