"""`idp.accounts` holds the account rules free of HTTP: importing any of its modules loads
neither Starlette nor the app context, and no two of idp's packages import each other."""

from __future__ import annotations

import ast
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import idp
import idp.accounts

ACCOUNT_MODULES = [m.name for m in pkgutil.iter_modules(idp.accounts.__path__, "idp.accounts.")]
ROOT = Path(idp.__file__).parent


@pytest.mark.parametrize("module", ACCOUNT_MODULES)
def test_an_accounts_module_imports_no_web_framework(module: str) -> None:
    probe = (
        f"import sys, {module}\n"
        "print(sorted(m for m in ('starlette', 'idp.context', 'idp.web') if m in sys.modules))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    assert loaded.strip() == "[]", f"{module} loads {loaded}"


def _package_of(module: str) -> str:
    """`idp.web.csrf` → `idp.web`; top-level modules (`idp.context`) stand for themselves."""
    return ".".join(module.split(".")[:2])


def _imports(path: Path, module: str) -> set[str]:
    """The idp modules imported when `module` is (type-only and function-local imports aside)."""
    found: set[str] = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            continue
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: from the module's package, one up per extra dot
                package = module if path.name == "__init__.py" else module.rpartition(".")[0]
                base = package.split(".")[: len(package.split(".")) + 1 - node.level]
                found.add(".".join([*base, node.module] if node.module else base))
            elif node.module:
                found.add(node.module)
    return {name for name in found if name.startswith("idp.")}


def test_no_import_loop_between_idp_packages() -> None:
    graph: dict[str, set[str]] = {}
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(ROOT.parent).with_suffix("").parts
        module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        here = _package_of(module)
        graph.setdefault(here, set()).update(
            there for there in map(_package_of, _imports(path, module)) if there != here
        )

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        for nxt in graph.get(start, set()) - seen:
            seen.add(nxt)
            if nxt == goal or reaches(nxt, goal, seen):
                return True
        return False

    loops = sorted(package for package in graph if reaches(package, package, set()))
    assert loops == [], f"these packages import each other, directly or not: {loops}"
