"""scripts/system-deps.sh: installs only what is missing, quietly, and elsewhere than
Debian/Ubuntu says what to install by hand. `dpkg-query` and `apt-get` are stand-ins here
(the real ones would install on this machine)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).parents[2] / "scripts" / "system-deps.sh"


def _stubs(folder: Path, not_installed: set[str]) -> Path:
    folder.mkdir()
    missing = " ".join(sorted(not_installed))
    (folder / "dpkg-query").write_text(
        "#!/bin/sh\n"
        "for last; do :; done\n"
        f'for p in {missing}; do [ "$p" = "$last" ] && exit 1; done\n'
        "printf 'install ok installed'\n"
    )
    (folder / "apt-get").write_text(f'#!/bin/sh\necho "$@" >> {folder}/apt.log\n')
    for stub in ("dpkg-query", "apt-get"):
        (folder / stub).chmod(0o755)
    return folder


def _run(path: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": path}
    bash = shutil.which("bash")
    assert bash is not None
    return subprocess.run(
        [bash, str(SCRIPT), *args], env=env, capture_output=True, text=True, check=False
    )


@pytest.mark.skipif(os.geteuid() != 0, reason="the stand-in apt-get is reached as root only")
def test_nothing_missing_says_nothing(tmp_path: Path) -> None:
    stubs = _stubs(tmp_path / "bin", set())
    result = _run(f"{stubs}:{os.environ['PATH']}")
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    assert not (stubs / "apt.log").exists()


@pytest.mark.skipif(os.geteuid() != 0, reason="the stand-in apt-get is reached as root only")
def test_only_what_is_missing_is_installed(tmp_path: Path) -> None:
    stubs = _stubs(tmp_path / "bin", {"xvfb", "wrk"})
    result = _run(f"{stubs}:{os.environ['PATH']}")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "installing system packages: xvfb\n"
    calls = (stubs / "apt.log").read_text().splitlines()
    assert calls[-1] == "install -y -qq --no-install-recommends xvfb"
    # Asked for one package (make bench): only that one.
    _run(f"{stubs}:{os.environ['PATH']}", "wrk")
    assert (stubs / "apt.log").read_text().splitlines()[-1].endswith("--no-install-recommends wrk")


def test_elsewhere_it_says_what_to_install(tmp_path: Path) -> None:
    bare = tmp_path / "bare"
    bare.mkdir()
    for tool in ("grep", "cat", "id"):
        found = shutil.which(tool)
        assert found is not None
        (bare / tool).symlink_to(found)
    result = _run(str(bare))
    assert result.returncode == 0
    assert "not a Debian or Ubuntu system" in result.stderr
    for words in ("Tk", "Chromium", "Xvfb", "ImageMagick"):
        assert words in result.stderr
