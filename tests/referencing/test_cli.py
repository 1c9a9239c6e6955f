"""`sageid-idp customers import|list|set-admin`, and the demo customers."""

from __future__ import annotations

import time
from pathlib import Path

import anyio
import pytest

from idp.domain.referencing import TERMS_VERSION, Method, NewMembership, ProofAttempt
from idp.store import Store
from tests.referencing.helpers import CABINET, CUSTOMERS, PAUL, add_user
from tests.support import cli_environment, run_cli


@pytest.fixture
def env(tmp_path: Path, database_url: str) -> dict[str, str]:
    return cli_environment(tmp_path, database_url)


def write(tmp_path: Path, text: str, encoding: str = "utf-8") -> str:
    path = tmp_path / "customers.csv"
    path.write_text(text, encoding=encoding)
    return str(path)


def test_import_list_and_import_again(env: dict[str, str], tmp_path: Path) -> None:
    file = write(tmp_path, CUSTOMERS, encoding="utf-8-sig")  # as Excel saves "CSV UTF-8"
    code, out = run_cli(env, "customers", "import", file)
    assert code == 0, out
    assert out.strip() == (
        "customers: 3 added, 0 renamed; proofs: 3 added; notification emails: 3 added"
    )
    code, out = run_cli(env, "customers", "import", file)
    assert code == 0
    assert "customers: 0 added, 0 renamed; proofs: 0 added; notification emails: 0 added" in out
    code, out = run_cli(env, "customers", "list")
    assert code == 0
    assert "C0004412  Pharmacie du Marché  (no administrator)" in out
    assert "members: 0  proofs: 0  notification emails: 2" in out


def test_a_bad_file_is_reported_by_line_and_imports_nothing(
    env: dict[str, str], tmp_path: Path
) -> None:
    file = write(tmp_path, CUSTOMERS + "C0001234,invoice,12\nC7,serial,ABCD-1234\n")
    code, out = run_cli(env, "customers", "import", file)
    assert code == 1
    assert f"{file}: line 11: the invoice number '12' must have 4 to 64" in out
    assert f"{file}: line 12: unknown customer C7" in out
    assert "2 invalid rows: nothing was imported" in out
    assert run_cli(env, "customers", "list") == (0, "")
    latin1 = write(
        tmp_path, "customer_code,kind,value\nC1,customer,Boulangerie Lefèvre\n", "latin-1"
    )
    code, out = run_cli(env, "customers", "import", latin1)
    assert code == 1 and "not UTF-8" in out


def test_set_admin_needs_a_referenced_member(env: dict[str, str], tmp_path: Path) -> None:
    assert run_cli(env, "customers", "import", write(tmp_path, CUSTOMERS))[0] == 0
    code, out = run_cli(env, "customers", "set-admin", CABINET, PAUL)
    assert code == 1 and f"no Sage ID uses {PAUL}" in out

    async def in_store(step: str) -> None:
        store = Store(env["DATABASE_URL"])
        try:
            if step == "sign up":
                await add_user(store, PAUL, time.time())
                return
            user = await store.users.by_email(PAUL)
            target = await store.customers.proof_target(ProofAttempt(CABINET, "X"))
            assert user is not None and target is not None
            new = NewMembership(CABINET, target.default_profile_id, Method.PROOF, TERMS_VERSION)
            await store.customers.reference(user.id, [new], time.time())
        finally:
            await store.close()

    anyio.run(in_store, "sign up")
    code, out = run_cli(env, "customers", "set-admin", CABINET, PAUL)
    assert code == 1 and "is not referenced to customer" in out
    anyio.run(in_store, "reference")
    code, out = run_cli(env, "customers", "set-admin", "c000 2087", PAUL)
    assert (code, out.strip()) == (0, f"{PAUL} is the administrator of c000 2087")
    code, out = run_cli(env, "customers", "set-admin", CABINET, PAUL)
    assert (code, out.strip()) == (0, f"{PAUL} is already the administrator of {CABINET}")
    assert f"{CABINET}  Cabinet Comptable Durand  ({PAUL})" in run_cli(env, "customers", "list")[1]
    assert run_cli(env, "customers", "set-admin", "C404", PAUL)[1].endswith("no customer C404\n")


def test_the_demo_customers_load_twice_and_leave_the_demo_users_unreferenced(
    env: dict[str, str],
) -> None:
    code, first = run_cli(env, "demo")
    assert code == 0, first
    code, again = run_cli(env, "demo")
    assert (code, again) == (0, first)
    assert "C0001234 with invoice" in first and "claire.petit@example.com" in first
    code, listing = run_cli(env, "customers", "list")
    assert "C0003560  Garage Bernard  (sophie.bernard@example.com)" in listing
    assert "C0004412  Pharmacie du Marché  (julien.roux@example.com)" in listing
    assert "C0001234  Boulangerie Martin  (no administrator)" in listing

    async def memberships_of(email: str) -> int:
        store = Store(env["DATABASE_URL"])
        try:
            user = await store.users.by_email(email)
            assert user is not None
            return len(await store.customers.accounts_of(user.id))
        finally:
            await store.close()

    # Paul is referenced at his first sign-in, Marie only by proof.
    assert anyio.run(memberships_of, "paul.durand@example.com") == 0
    assert anyio.run(memberships_of, "marie.martin@example.com") == 0
    assert anyio.run(memberships_of, "sophie.bernard@example.com") == 1
