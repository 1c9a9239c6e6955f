from __future__ import annotations

import asyncio
import datetime
import ipaddress
import logging
import re
import ssl
import stat
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Literal

import pytest
from aiosmtpd.smtp import AuthResult
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from idp.clock import FrozenClock
from idp.mail import MailDeliveryError, OutboxMailer, SmtpConfig, SmtpMailer
from tests.conftest import free_port
from tests.mail.helpers import CODE, Collector, code_mail, parse, parts, smtpd

USER, PASSWORD = "relay-user", "relay-secret"


# --- a real SMTP server -----------------------------------------------------------------


def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
    ok = data.login == USER.encode() and data.password == PASSWORD.encode()
    return AuthResult(success=ok, handled=False)


@pytest.fixture(scope="module")
def tls_pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A self-signed certificate for 127.0.0.1: (server context, client context)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    directory = tmp_path_factory.mktemp("tls")
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    (directory / "cert.pem").write_bytes(cert_pem)
    (directory / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(directory / "cert.pem", directory / "key.pem")
    client = ssl.create_default_context(cadata=cert_pem.decode())
    return server, client


@pytest.mark.parametrize("locale", ["fr", "en"])
async def test_code_mail_arrives_over_smtp(locale: str) -> None:
    handler = Collector()
    with smtpd(handler) as port:
        await SmtpMailer(SmtpConfig("127.0.0.1", port, security="none")).send(code_mail(locale))
    [envelope] = handler.envelopes
    assert envelope.mail_from == "no-reply@id.sage.example"
    assert envelope.rcpt_tos == ["marie.martin@example.fr"]
    received = parse(envelope.content)
    expected = code_mail(locale)
    assert received["Subject"] == expected["Subject"]
    text, markup = parts(received)
    assert CODE in text.splitlines()
    assert f">{CODE}</p>" in markup
    assert ("inscription" in text) is (locale == "fr")


@pytest.mark.parametrize("security", ["starttls", "tls"])
async def test_tls_and_authentication(
    security: Literal["starttls", "tls"], tls_pair: tuple[ssl.SSLContext, ssl.SSLContext]
) -> None:
    server_tls, client_tls = tls_pair
    handler = Collector()
    server: dict[str, Any] = {"authenticator": authenticate, "auth_required": True}
    if security == "tls":
        # aiosmtpd doesn't see implicit TLS as TLS, so it would hide AUTH on this connection
        server.update(ssl_context=server_tls, auth_require_tls=False, auth_required=False)
    else:
        server.update(tls_context=server_tls, require_starttls=True)
    with smtpd(handler, **server) as port:
        config = SmtpConfig(
            "127.0.0.1", port, security, username=USER, password=PASSWORD, timeout=5,
            tls_context=client_tls,
        )  # fmt: skip
        await SmtpMailer(config).send(code_mail())
    [envelope] = handler.envelopes
    assert CODE in parse(envelope.content)["Subject"]
    assert handler.authenticated == [True]


def test_password_is_not_in_the_config_repr() -> None:
    assert PASSWORD not in repr(SmtpConfig("h", username=USER, password=PASSWORD))


@asynccontextmanager
async def silent_server() -> AsyncIterator[int]:
    """Accepts connections and never greets: a hung relay."""

    connections: list[asyncio.StreamWriter] = []

    async def hang(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(writer)

    server = await asyncio.start_server(hang, "127.0.0.1", 0)
    try:
        async with server:
            yield server.sockets[0].getsockname()[1]
    finally:
        assert connections, "the client never connected"
        for writer in connections:
            writer.close()
            await writer.wait_closed()


@pytest.mark.parametrize(
    "failure",
    ["nothing listening", "no greeting", "no starttls", "recipient refused",
     "one of two recipients refused", "wrong password", "untrusted certificate"],
)  # fmt: skip
async def test_delivery_failures_raise_mail_delivery_error(
    failure: str, tls_pair: tuple[ssl.SSLContext, ssl.SSLContext]
) -> None:
    server_tls, client_tls = tls_pair
    started = time.monotonic()
    plain = {"security": "none", "timeout": 0.5}
    tls = {"security": "starttls", "timeout": 2.0, "tls_context": client_tls}
    tls_server = {"tls_context": server_tls, "require_starttls": True}

    async def send(port: int, **config: Any) -> None:
        await SmtpMailer(SmtpConfig("127.0.0.1", port, **config)).send(code_mail())

    with pytest.raises(MailDeliveryError) as caught:
        if failure == "nothing listening":
            await send(free_port(), **plain)
        elif failure == "no greeting":
            async with silent_server() as port:
                await send(port, **plain)
        elif failure == "no starttls":
            with smtpd(Collector()) as port:
                await send(port, **{**tls, "tls_context": None})
        elif failure == "recipient refused":
            with smtpd(Collector(refuse=frozenset({"marie.martin@example.fr"}))) as port:
                await send(port, **plain)
        elif failure == "one of two recipients refused":
            message = code_mail()
            message["Cc"] = "comptable@example.fr"
            with smtpd(Collector(refuse=frozenset({"comptable@example.fr"}))) as port:
                config = SmtpConfig("127.0.0.1", port, "none", timeout=0.5)
                await SmtpMailer(config).send(message)
        elif failure == "wrong password":
            with smtpd(Collector(), authenticator=authenticate, **tls_server) as port:
                await send(port, **tls, username=USER, password="wrong")
        else:
            with smtpd(Collector(), **tls_server) as port:
                await send(port, **{**tls, "tls_context": None})
    # every failure but a partial refusal comes from an exception, kept as the cause
    assert (caught.value.__cause__ is None) is (failure == "one of two recipients refused")
    assert CODE not in str(caught.value)
    assert time.monotonic() - started < 5


# --- outbox -----------------------------------------------------------------------------


async def test_outbox_writes_a_parseable_private_eml(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    outbox = tmp_path / "var" / "outbox"
    mailer = OutboxMailer(outbox, clock=FrozenClock(1_764_000_000.25))
    with caplog.at_level(logging.INFO, logger="idp.mail"):
        await mailer.send(code_mail("en"))
        await mailer.send(code_mail("fr"))
    files = sorted(outbox.iterdir())
    assert len(files) == 2
    for path in files:
        assert re.fullmatch(r"20251124T160000250000Z-[0-9a-f]{32}\.eml", path.name)
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(outbox.stat().st_mode) == 0o700
    received = [parse(path.read_bytes()) for path in files]
    assert sorted(m["Content-Language"] for m in received) == ["en", "fr"]
    assert all(CODE in parts(m)[0].splitlines() for m in received)
    logged = [r.getMessage() for r in caplog.records]
    assert len(logged) == 2
    assert {Path(line.split()[-1]).name for line in logged} == {p.name for p in files}
    assert not any(CODE in line for line in logged)


async def test_outbox_failure_raises_mail_delivery_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    with pytest.raises(MailDeliveryError):
        await OutboxMailer(blocker).send(code_mail())
