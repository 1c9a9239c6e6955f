"""The public API is exactly `client.__all__` (the httpx convention)."""

from __future__ import annotations

import inspect
from pathlib import Path

import client


def test_all_names_exist() -> None:
    for name in client.__all__:
        assert hasattr(client, name), name


def test_all_is_complete() -> None:
    # Every public object the package defines is exported; private modules stay private.
    # The names load lazily (PEP 562): `dir` lists them, `getattr` loads them all first.
    for name in dir(client):
        getattr(client, name)
    public = {
        name
        for name, value in vars(client).items()
        if not name.startswith("_")
        and not inspect.ismodule(value)
        and getattr(value, "__module__", "client").startswith("client")
    }
    assert public - set(client.__all__) == set()


def test_lazy_exports_are_all() -> None:
    assert set(client._EXPORTS) == set(client.__all__)


def test_all_has_no_duplicates() -> None:
    assert len(client.__all__) == len(set(client.__all__))


def test_public_functions_and_classes_have_docstrings() -> None:
    missing = [
        name
        for name in client.__all__
        if (inspect.isfunction(getattr(client, name)) or inspect.isclass(getattr(client, name)))
        and not inspect.getdoc(getattr(client, name))
    ]
    assert missing == []


def test_package_is_typed() -> None:
    assert (Path(client.__file__).parent / "py.typed").is_file()
