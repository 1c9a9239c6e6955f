"""Client authentication methods (RFC 6749 §2.3, RFC 7523 §2.2, RFC 7591 §2): the one list,
read by discovery, dynamic registration, the store's client records and every Authlib
endpoint and grant (`idp.oauth`)."""

from __future__ import annotations

CLIENT_SECRET_BASIC = "client_secret_basic"
CLIENT_SECRET_POST = "client_secret_post"
PRIVATE_KEY_JWT = "private_key_jwt"
NONE = "none"  # a public client names itself (RFC 6749 §2.1)

CLIENT_AUTH_METHODS = (CLIENT_SECRET_BASIC, CLIENT_SECRET_POST, NONE, PRIVATE_KEY_JWT)
"""Every method Sage ID accepts: advertised by discovery, allowed at registration."""

SHARED_SECRET_METHODS = (CLIENT_SECRET_BASIC, CLIENT_SECRET_POST)

# What an Authlib endpoint or grant lists: where a client secret is accepted, so is a signed
# JWT (`SageAuthorizationServer.authenticate_client` adds `private_key_jwt`).
CONFIDENTIAL_CLIENTS = list(SHARED_SECRET_METHODS)
ANY_CLIENT = [*SHARED_SECRET_METHODS, NONE]
