"""A third-party integration with Sage ID, end to end (README, "Third-party integration").

1. register a client with an initial access token (RFC 7591);
2. sign a user in with a pushed authorization request (RFC 9126) and PKCE S256, the tokens
   bound to this server's key by DPoP (RFC 9449): a stolen token is useless without it;
3. call the Sage EDI Online submissions API with the access token and a DPoP proof;
4. read, then delete, the registration (RFC 7592).

    sageid-idp registration-tokens create --ttl 1d --max-uses 5 --allow-scope edi
    SAGEID_INITIAL_ACCESS_TOKEN=… python examples/third_party_integration.py

The user signs in in their browser: the script prints the address and waits for the redirect
on a loopback port. Against `make run`'s demo accounts it can also sign in by itself through
the same pages (`--demo-user paul.durand@example.com`, password in `SAGEID_DEMO_PASSWORD`), so
that it runs unattended.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import html
import os
import re
import secrets
import socket
import webbrowser
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import httpx
from joserfc.jwk import ECKey

# The Sage ID client library (`pip install sageid`) signs the DPoP proofs and answers the
# provider's `use_dpop_nonce` challenges; any RFC 9449 implementation does the same.
from client import DPoPAuth, DPoPProofs


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_for_redirect(port: int) -> str:
    """The redirect the browser brings back to http://127.0.0.1:<port>/callback."""
    received: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            received.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.end_headers()
            self.wfile.write("Connexion terminée : vous pouvez fermer cette page.".encode())

        def log_message(self, *args: Any) -> None:
            pass

    with HTTPServer(("127.0.0.1", port), Handler) as server:
        server.timeout = 300
        while not received:
            server.handle_request()
    return f"http://127.0.0.1:{port}{received[0]}"


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    if not found:
        raise SystemExit("no form on the page: is this a Sage ID sign-in page?")
    return found.group(1)


def demo_sign_in(issuer: str, authorize_url: str, email: str, password: str) -> str:
    """Sign in through the pages as a browser would (demo accounts only); the redirect."""
    with httpx.Client(base_url=issuer) as browser:
        answer = browser.get(authorize_url)
        following = parse_qs(urlsplit(answer.headers["location"]).query)["next"][0]
        page = browser.get("/signin", params={"next": following})
        step = browser.post(
            "/signin", data={"csrf_token": _csrf(page.text), "email": email, "next": following}
        )
        signed = browser.post(
            "/signin/password",
            data={
                "csrf_token": _csrf(step.text),
                "email": email,
                "password": password,
                "next": following,
            },
        )
        if signed.status_code != 303:
            raise SystemExit("the demo sign-in was refused")
        answer = browser.get(signed.headers["location"])
        if answer.status_code == 200:  # the consent page: a third party always gets one
            fields = re.findall(
                r'<input type="hidden" name="([^"]+)" value="([^"]*)">', answer.text
            )
            form = {name: html.unescape(value) for name, value in fields}
            form["decision"] = "allow"
            answer = browser.post("/authorize", data=form)
        return urljoin(issuer, answer.headers["location"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--issuer", default=os.environ.get("SAGEID_ISSUER", "http://127.0.0.1:8000")
    )
    parser.add_argument("--demo-user", help="sign in by itself as this demo account")
    parser.add_argument("--keep", action="store_true", help="do not delete the registration")
    parser.add_argument("--customer", help="also send a DSN file for this Sage customer code")
    args = parser.parse_args()
    initial_token = os.environ.get("SAGEID_INITIAL_ACCESS_TOKEN")
    if not initial_token:
        raise SystemExit("set SAGEID_INITIAL_ACCESS_TOKEN (sageid-idp registration-tokens create)")

    http = httpx.Client(timeout=10)
    metadata = http.get(f"{args.issuer}/.well-known/openid-configuration").json()

    # 1. Register (RFC 7591): a confidential web client, its redirect on a loopback port.
    port = free_port()
    redirect_uri = f"http://127.0.0.1:{port}/callback"
    registered = http.post(
        metadata["registration_endpoint"],
        headers={"Authorization": f"Bearer {initial_token}"},
        json={
            "client_name": "Exemple d'intégration",
            "redirect_uris": [redirect_uri],
            "grant_types": ["authorization_code"],
            "scope": "openid profile email edi",
            "token_endpoint_auth_method": "client_secret_basic",
        },
    )
    if registered.status_code != 201:
        raise SystemExit(f"registration refused: {registered.text}")
    client = registered.json()
    auth = (client["client_id"], client["client_secret"])
    print(f"1. registered client_id {client['client_id']} ({client['client_name']})")

    # 2. Push the authorization request (RFC 9126), then send the user with its request_uri.
    verifier, challenge = pkce_pair()
    state = secrets.token_urlsafe(16)
    pushed = http.post(
        metadata["pushed_authorization_request_endpoint"],
        auth=auth,
        data={
            "response_type": "code",
            "client_id": client["client_id"],
            "redirect_uri": redirect_uri,
            "scope": "openid profile email edi",
            "state": state,
            "nonce": secrets.token_urlsafe(16),
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        },
    )
    if pushed.status_code != 201:
        raise SystemExit(f"push refused: {pushed.text}")
    request_uri = pushed.json()["request_uri"]
    authorize_url = (
        metadata["authorization_endpoint"]
        + "?"
        + urlencode({"client_id": client["client_id"], "request_uri": request_uri})
    )
    print(f"2. pushed: request_uri {request_uri[:44]}…, {pushed.json()['expires_in']} s")
    if args.demo_user:
        password = os.environ.get("SAGEID_DEMO_PASSWORD", "")
        redirected = demo_sign_in(args.issuer, authorize_url, args.demo_user, password)
    else:
        print(f"   sign in at: {authorize_url}")
        webbrowser.open(authorize_url)
        redirected = wait_for_redirect(port)
    answer = {k: v[0] for k, v in parse_qs(urlsplit(redirected).query).items()}
    if answer.get("state") != state or answer.get("iss") != metadata["issuer"]:
        raise SystemExit(f"unexpected answer: {answer}")  # RFC 9207: check iss, then state
    if "code" not in answer:
        raise SystemExit(f"sign-in refused: {answer}")
    # The code exchanged with a DPoP proof: the tokens are bound to this key (in production,
    # one key kept with the server's secrets, not one per run).
    proofs = DPoPProofs(ECKey.generate_key("P-256"))
    exchange = {
        "grant_type": "authorization_code",
        "code": answer["code"],
        "redirect_uri": redirect_uri,
        "code_verifier": verifier,
    }
    for _ in range(2):  # a provider that asks for nonces answers the first try use_dpop_nonce
        proof = proofs.proof("POST", metadata["token_endpoint"])
        exchanged = http.post(
            metadata["token_endpoint"], auth=auth, headers={"DPoP": proof}, data=exchange
        )
        if not proofs.challenged(exchanged, token_endpoint=True):
            break
    tokens = exchanged.json()
    if exchanged.status_code != 200:
        raise SystemExit(f"code exchange refused: {tokens}")
    print(f"   signed in: token_type {tokens['token_type']}, scope {tokens['scope']!r}")

    # 3. The submissions API, with the user's access token and a proof of the key on each call.
    bound = DPoPAuth(proofs, tokens["access_token"])
    if args.customer:
        sent = http.post(
            f"{args.issuer}/api/v1/submissions",
            auth=bound,
            data={"kind": "dsn", "customer_code": args.customer},
            files={"file": ("dsn-2026-11.txt", b"S10.G00.00.001,'Exemple'\n", "text/plain")},
        )
        print(f"3. POST /api/v1/submissions: HTTP {sent.status_code} {sent.json().get('status')}")
    listed = http.get(f"{args.issuer}/api/v1/submissions", auth=bound)
    print(f"   GET /api/v1/submissions: HTTP {listed.status_code}")
    body = listed.json()
    items = body.get("items", body) if isinstance(body, dict) else body
    for item in items[:5] if isinstance(items, list) else []:
        print(f"   - {item['customer_code']} {item['kind']} {item['file_name']} {item['status']}")

    # 4. The registration itself (RFC 7592).
    manage = {"Authorization": f"Bearer {client['registration_access_token']}"}
    read = http.get(client["registration_client_uri"], headers=manage)
    uris = read.json()["redirect_uris"]
    print(f"4. GET registration: HTTP {read.status_code}, redirect_uris {uris}")
    if not args.keep:
        deleted = http.delete(client["registration_client_uri"], headers=manage)
        print(f"   DELETE registration: HTTP {deleted.status_code}")


if __name__ == "__main__":
    main()
