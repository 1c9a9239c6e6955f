"""Passkey assertions checked by the provider (issue 17), crafted here with a P-256 key the
way an authenticator signs them (WebAuthn §6.1, §7.2): the RP ID hash must be the issuer's
host, the origin the issuer's, the challenge the one handed out, and the passkey still known."""

from __future__ import annotations

import hashlib
import json
import struct

import cbor2
import httpx
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from webauthn.helpers import bytes_to_base64url

from idp.context import AppContext
from tests.support import Seeded, csrf_of

ISSUER = "http://127.0.0.1:8000"


class Authenticator:
    def __init__(self) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = b"sage-test-credential-1"
        self.count = 0

    def cose_public_key(self) -> bytes:
        numbers = self.key.public_key().public_numbers()
        return cbor2.dumps(
            {
                1: 2,
                3: -7,
                -1: 1,
                -2: numbers.x.to_bytes(32, "big"),
                -3: numbers.y.to_bytes(32, "big"),
            }
        )

    def assertion(self, challenge: str, *, rp_id: str, origin: str, user_id: str) -> str:
        self.count += 1
        client_data = json.dumps(
            {"type": "webauthn.get", "challenge": challenge, "origin": origin}
        ).encode()
        flags = 0x01 | 0x04  # user present, user verified
        auth_data = hashlib.sha256(rp_id.encode()).digest() + bytes([flags])
        auth_data += struct.pack(">I", self.count)
        signed = auth_data + hashlib.sha256(client_data).digest()
        signature = self.key.sign(signed, ec.ECDSA(hashes.SHA256()))
        encoded_id = bytes_to_base64url(self.credential_id)
        return json.dumps(
            {
                "id": encoded_id,
                "rawId": encoded_id,
                "type": "public-key",
                "clientExtensionResults": {},
                "response": {
                    "clientDataJSON": bytes_to_base64url(client_data),
                    "authenticatorData": bytes_to_base64url(auth_data),
                    "signature": bytes_to_base64url(signature),
                    "userHandle": bytes_to_base64url(user_id.encode()),
                },
            }
        )


@pytest.fixture
async def authenticator(ctx: AppContext, seeded: Seeded) -> Authenticator:
    device = Authenticator()
    await ctx.store.factors.add_passkey(
        seeded.user_id,
        name="Clé",
        credential_id=bytes_to_base64url(device.credential_id),
        public_key=bytes_to_base64url(device.cose_public_key()),
        sign_count=0,
        method="hwk",
        now=ctx.clock.now(),
    )
    return device


async def _passwordless(
    client: httpx.AsyncClient, device: Authenticator, user_id: str, **where: str
) -> httpx.Response:
    page = await client.get("/signin", params={"next": "/account"})
    assert 'data-mode="passwordless"' in page.text
    token = csrf_of(page.text)
    options = await client.post(
        "/signin/passkey/options", data={"csrf_token": token, "mode": "passwordless"}
    )
    assert options.status_code == 200 and options.json()["rpId"] == "127.0.0.1"
    assert options.json()["allowCredentials"] == []  # discoverable: any passkey of this RP
    credential = device.assertion(
        options.json()["challenge"],
        rp_id=where.get("rp_id", "127.0.0.1"),
        origin=where.get("origin", ISSUER),
        user_id=user_id,
    )
    return await client.post(
        "/signin/passkey",
        data={"csrf_token": token, "next": "/account", "credential": credential},
    )


async def test_an_assertion_for_this_rp_signs_in_without_a_password(
    client: httpx.AsyncClient, seeded: Seeded, authenticator: Authenticator
) -> None:
    signed = await _passwordless(client, authenticator, seeded.user_id)
    assert signed.status_code == 303 and signed.headers["location"] == "/account"
    assert "Marie Martin" in (await client.get("/account")).text


@pytest.mark.parametrize(
    "where",
    [
        {"rp_id": "evil.example"},  # a credential of another RP ID
        {"rp_id": "localhost"},
        {"origin": "https://evil.example"},
    ],
)
async def test_an_assertion_for_another_rp_or_origin_is_refused(
    client: httpx.AsyncClient,
    seeded: Seeded,
    authenticator: Authenticator,
    where: dict[str, str],
) -> None:
    refused = await _passwordless(client, authenticator, seeded.user_id, **where)
    assert refused.status_code == 400
    assert "Cette clé d’accès n’est pas reconnue" in refused.text
    assert "Vous n’êtes pas connecté" in (await client.get("/account")).text


async def test_an_assertion_is_not_accepted_twice(
    client: httpx.AsyncClient, seeded: Seeded, authenticator: Authenticator
) -> None:
    page = await client.get("/signin")
    token = csrf_of(page.text)
    options = await client.post(
        "/signin/passkey/options", data={"csrf_token": token, "mode": "passwordless"}
    )
    credential = authenticator.assertion(
        options.json()["challenge"], rp_id="127.0.0.1", origin=ISSUER, user_id=seeded.user_id
    )
    form = {"csrf_token": token, "next": "/account", "credential": credential}
    cookies = dict(client.cookies)
    assert (await client.post("/signin/passkey", data=form)).status_code == 303
    client.cookies.clear()
    for name, value in cookies.items():  # the same ceremony cookie, replayed
        client.cookies.set(name, value)
    replayed = await client.post("/signin/passkey", data=form)
    assert replayed.status_code == 400
