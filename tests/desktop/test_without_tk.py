"""Without Tk (python3-tk not installed): one line naming the package, and the test suite
still collects. Both in a fresh interpreter where importing tkinter fails, as it does there."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NO_TK = "import sys; sys.modules['tkinter'] = None; sys.modules['_tkinter'] = None; "


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", NO_TK + code],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )


def test_the_app_names_the_package_to_install() -> None:
    result = _run("from client.desktop import main; main([])")
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1, result.stderr
    assert "python3-tk" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_desktop_tests_still_collect() -> None:
    result = _run(
        "import pytest; sys.exit(pytest.main(['--collect-only', '-q', '-p', 'no:randomly', "
        "'tests/desktop']))"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "test_presenter.py" in result.stdout
    assert "test_window.py" not in result.stdout
