"""Behind an https issuer: `Secure`, `__Host-` cookies; absolute URLs from the issuer only."""

from __future__ import annotations

from pathlib import Path

import httpx

from idp.app import create_app
from tests.conftest import make_settings
from tests.support import csrf_of


async def test_https_issuer_sets_secure_host_cookies(
    tmp_path: Path, database_url: str, key_template: Path
) -> None:
    settings = make_settings(tmp_path, database_url, key_template, issuer="https://id.sage.example")
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=settings.issuer) as http:
            page = await http.get("/signin")
            cookie = page.headers["set-cookie"]
            assert cookie.startswith("__Host-sageid_csrf=")
            assert "Secure" in cookie and "HttpOnly" in cookie and "Path=/" in cookie
            assert csrf_of(page.text)
            metadata = (await http.get("/.well-known/openid-configuration")).json()
            assert metadata["token_endpoint"] == "https://id.sage.example/token"
            # A forged Host header never becomes part of a URL: the request is refused.
            forged = await http.get("/signin", headers={"Host": "attacker.example"})
            assert forged.status_code == 400
