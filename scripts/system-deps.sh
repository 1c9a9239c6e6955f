#!/usr/bin/env bash
# What Sage ID needs from the system, beside Python >= 3.11 and PyPI (installed quietly and
# only when missing, so `make test` can call it every time):
#   python3-venv  `make` creates .venv with it (Debian/Ubuntu split it out of Python)
#   python3-tk    Tk for sageid-desktop (the CLI and the provider do without it)
#   chromium      the browser tests (Playwright drives the system Chromium)
#   xvfb, xauth   an X server for the desktop window tests
#   imagemagick   `import`, the desktop tests' screenshots
#   wrk           only for `make bench` (scripts/system-deps.sh wrk)
# Usage: scripts/system-deps.sh [PACKAGE...]   (default: everything the tests need)
# On Debian and Ubuntu it uses apt-get (through sudo when not root); elsewhere it installs
# nothing and says what to install by hand.
set -euo pipefail

want=("$@")
[ ${#want[@]} -eq 0 ] && want=(python3-venv python3-tk chromium xvfb xauth imagemagick)

if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
  cat >&2 <<'MSG'
scripts/system-deps.sh: not a Debian or Ubuntu system; install these by hand if missing:
  - Python >= 3.11 with venv and Tk (Fedora: python3 python3-tkinter; macOS: python.org's
    installer or `brew install python python-tk`; Windows: python.org's installer, Tk included)
  - Chromium or Chrome for the browser tests (Fedora: chromium; macOS: brew install --cask chromium)
  - Xvfb, xauth and ImageMagick for the desktop window tests (Fedora: xorg-x11-server-Xvfb
    xorg-x11-xauth ImageMagick; macOS/Windows: the window tests are skipped without Xvfb)
  - wrk, only for `make bench`
MSG
  exit 0
fi

# Ubuntu ships Chromium as a snap behind its deb; Debian's deb is the browser itself.
if [ -r /etc/os-release ] && grep -qi '^ID=ubuntu' /etc/os-release; then
  for i in "${!want[@]}"; do [ "${want[$i]}" = chromium ] && want[$i]=chromium-browser; done
fi

installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}

missing=()
for pkg in "${want[@]}"; do
  # python3-venv / python3-tk: what counts is that *this* Python has venv and tkinter.
  case "$pkg" in
    python3-venv) python3 -c 'import ensurepip, venv' 2>/dev/null && continue ;;
    python3-tk) python3 -c 'import tkinter' 2>/dev/null && continue ;;
  esac
  installed "$pkg" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "scripts/system-deps.sh: missing ${missing[*]}; as root: apt-get install ${missing[*]}" >&2
    exit 1
  fi
  sudo="sudo"
fi
echo "installing system packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >/dev/null
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
