"""What `sageid-idp serve` asks of uvicorn: the read-timeout protocol, a bounded shutdown,
proxy headers only when asked and only from the trusted addresses, our own log config and
access line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from idp.cli import main
from idp.web.protocol import ServingProtocol


def serve(monkeypatch: pytest.MonkeyPatch, env: dict[str, str], *args: str) -> dict[str, Any]:
    import uvicorn

    seen: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: seen.update(options, app=app))
    result = CliRunner().invoke(main, ["serve", *args], env=env)
    assert result.exit_code == 0, result.output
    return seen


@pytest.fixture
def env(tmp_path: Path, database_url: str) -> dict[str, str]:
    if not database_url.startswith("sqlite"):
        pytest.skip("one backend is enough")
    return {
        "SAGEID_DATA_DIR": str(tmp_path / "var"),
        "SAGEID_KEY_DIR": str(tmp_path / "certs"),
        "DATABASE_URL": database_url,
    }


def test_defaults(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> None:
    options = serve(monkeypatch, env)
    assert options["app"] == "idp.asgi:app_factory" and options["factory"] is True
    assert options["http"] is ServingProtocol
    assert options["proxy_headers"] is False
    assert options["timeout_graceful_shutdown"] == 10
    assert options["access_log"] is False  # the provider writes its own access line
    config = options["log_config"]
    assert config["loggers"]["sageid.access"]["level"] == "INFO"
    assert "()" not in config["formatters"]["default"]


def test_behind_a_proxy_with_json_logs(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str]
) -> None:
    options = serve(
        monkeypatch,
        env,
        "--proxy-headers",
        "--forwarded-allow-ips",
        "10.0.0.5",
        "--graceful-timeout",
        "3",
        "--log-format",
        "json",
        "--no-access-log",
    )
    assert options["proxy_headers"] is True
    assert options["forwarded_allow_ips"] == "10.0.0.5"
    assert options["timeout_graceful_shutdown"] == 3
    config = options["log_config"]
    assert config["formatters"]["default"]["()"] == "idp.logs.JsonFormatter"
    assert config["loggers"]["sageid.access"]["level"] == "WARNING"
