"""Settings resolution: flags, then environment, then config file, then `make run` defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from client import ClientConfig, ConfigError, default_config_path, load_client_config
from client._config import check_issuer, language_from_locale
from client._login import prefers_device_flow


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    return tmp_path / "config.toml"


def test_defaults_are_what_make_run_registers(config_path: Path) -> None:
    config = load_client_config(environ={}, config_path=config_path)
    assert config == ClientConfig("http://127.0.0.1:8000", "sage-desktop", "fr", False)


def test_flags_beat_environment_beat_file(config_path: Path) -> None:
    config_path.write_text(
        'issuer = "https://file.example.com"\nclient_id = "from-file"\nlanguage = "en"\n'
    )
    environ = {"SAGEID_ISSUER": "https://env.example.com", "SAGEID_CLIENT_ID": "from-env"}
    from_file = load_client_config(environ={}, config_path=config_path)
    assert (from_file.issuer, from_file.client_id) == ("https://file.example.com", "from-file")
    from_env = load_client_config(environ=environ, config_path=config_path)
    assert (from_env.issuer, from_env.client_id) == ("https://env.example.com", "from-env")
    from_flags = load_client_config(
        issuer="https://flag.example.com",
        client_id="from-flag",
        environ=environ,
        config_path=config_path,
    )
    assert (from_flags.issuer, from_flags.client_id) == ("https://flag.example.com", "from-flag")
    assert from_flags.language == "en"


def test_empty_environment_variables_are_ignored(config_path: Path) -> None:
    config = load_client_config(environ={"SAGEID_ISSUER": ""}, config_path=config_path)
    assert config.issuer == "http://127.0.0.1:8000"


def test_insecure_storage_from_flag_or_file(config_path: Path) -> None:
    assert load_client_config(insecure_storage=True, config_path=config_path).insecure_storage
    config_path.write_text("insecure_storage = true\n")
    assert load_client_config(config_path=config_path).insecure_storage


def test_default_config_path_is_in_the_user_config_dir(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))  # Linux (the CI platform)
    assert default_config_path() == tmp_path / "cfg" / "sageid" / "config.toml"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://id.sage.fr", "https://id.sage.fr"),
        ("https://id.sage.fr/", "https://id.sage.fr"),
        ("https://id.sage.fr/tenant", "https://id.sage.fr/tenant"),
        ("http://127.0.0.1:8000/", "http://127.0.0.1:8000"),
        ("http://localhost:8000", "http://localhost:8000"),
    ],
)
def test_valid_issuers(value: str, expected: str) -> None:
    assert check_issuer(value, "--issuer") == expected


@pytest.mark.parametrize(
    "value",
    [
        "http://id.sage.fr",
        "ftp://id.sage.fr",
        "id.sage.fr",
        "https://",
        "https://a/?x=1",
        "https://a/#f",
    ],
)
def test_invalid_issuers(value: str) -> None:
    with pytest.raises(ConfigError, match="--issuer"):
        check_issuer(value, "--issuer")


@pytest.mark.parametrize(
    ("environ", "language"),
    [
        ({}, None),
        ({"LANG": "C.UTF-8"}, None),
        ({"LANG": "fr_FR.UTF-8"}, "fr"),
        ({"LANG": "en_GB.UTF-8"}, "en"),
        ({"LANG": "de_DE.UTF-8"}, "en"),
        ({"LANG": "fr_FR.UTF-8", "LC_ALL": "en_US.UTF-8"}, "en"),
    ],
)
def test_language_from_locale(environ: dict[str, str], language: str | None) -> None:
    assert language_from_locale(environ) == language


def test_language_default_is_french(config_path: Path) -> None:
    assert load_client_config(environ={}, config_path=config_path).language == "fr"
    english = load_client_config(environ={"LANG": "en_US.UTF-8"}, config_path=config_path)
    assert english.language == "en"


@pytest.mark.parametrize(
    ("environ", "platform", "device"),
    [
        ({"DISPLAY": ":0"}, "linux", False),
        ({"WAYLAND_DISPLAY": "wayland-0"}, "linux", False),
        ({}, "linux", True),
        ({"DISPLAY": ":0", "SSH_CONNECTION": "10.0.0.1 22 10.0.0.2 5555"}, "linux", True),
        ({}, "win32", False),
        ({}, "darwin", False),
        ({"SSH_TTY": "/dev/pts/1"}, "darwin", True),
    ],
)
def test_prefers_device_flow(environ: dict[str, str], platform: str, device: bool) -> None:
    assert prefers_device_flow(environ, platform) is device
