"""Protocol errors told to a person: a page never shows Authlib's English description (RFC
6749 §4.1.2.1 leaves it to the provider what the user sees), only a sentence of the catalog
and the error code, kept on a detail line for the application's publisher.

The sentence is chosen by the error code, refined for the parameters a user can act on (the
application's return address, a repeated parameter, the sign-out proof). Descriptions are
matched on parameter names only, which Authlib and our grants quote the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

from idp.i18n import N_

# A description naming one of these (lower-cased) gets its sentence; the first match wins.
BY_PARAMETER = (
    ("repeated parameter", N_("The request gives the same parameter more than once.")),
    ("multiple '", N_("The request gives the same parameter more than once.")),
    (
        "post_logout_redirect_uri",
        N_("The address to return to after signing out is not registered for this application."),
    ),
    ("'aud'", N_("The proof of sign-in sent by the application was issued to another one.")),
    ("id_token_hint", N_("The proof of sign-in sent by the application is not valid.")),
    (
        "redirect uri",
        N_("The address the application asked to return to is not registered for it."),
    ),
    (
        "redirect_uri",
        N_("The address the application asked to return to is missing or not registered."),
    ),
    ("client_id", N_("The request does not say which application sent it.")),
    ("pkce", N_("The request lacks the protection every application must use (PKCE).")),
    ("code_challenge", N_("The request lacks the protection every application must use (PKCE).")),
    ("max_age", N_("The request gives a sign-in age that is not a number of seconds.")),
)

BY_CODE = {
    "invalid_client": N_("This application is not known to Sage ID."),
    "unauthorized_client": N_("This application is not allowed to make this request."),
    "unsupported_response_type": N_(
        "This application asked for a kind of answer Sage ID does not give."
    ),
    "invalid_scope": N_("This application asked for permissions it is not allowed."),
    "access_denied": N_("The request was refused."),
    "invalid_request": N_("The request is incomplete or malformed."),
    "server_error": N_("Sage ID could not handle the request."),
    "temporarily_unavailable": N_("Sage ID is temporarily unavailable."),
}
UNKNOWN = N_("The request could not be accepted.")


@dataclass(frozen=True)
class ProtocolErrorText:
    reason: str  # a message id of the catalog
    code: str  # the RFC 6749 error code, shown as is


def explain(
    error: str, description: str | None = None, *, otherwise: str | None = None
) -> ProtocolErrorText:
    """The sentence for an error code and its (English) description, and the code itself;
    `otherwise` is the caller's sentence for an `invalid_request` naming no known parameter."""
    lowered = (description or "").lower()
    if error in ("invalid_request", "invalid_client"):
        for parameter, sentence in BY_PARAMETER:
            if parameter in lowered:
                return ProtocolErrorText(sentence, error)
        if error == "invalid_request" and otherwise:
            return ProtocolErrorText(otherwise, error)
    return ProtocolErrorText(BY_CODE.get(error, UNKNOWN), error)
