#!/usr/bin/env bash
# Install everything the workbook needs on a Debian machine with Python 3.11:
# system packages for the PDF engine (only when missing), a .venv, and the package.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
VENV=${VENV:-.venv}
SYSTEM_PACKAGES=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fontconfig fonts-inter
                 fonts-dejavu-core fonts-noto-color-emoji)
# optional, each with what goes without it (a warning, not a failure): the plan batch
# prints its PDFs with Chromium's headless shell (several times faster than WeasyPrint);
# the tests open every workbook in LibreOffice as an analyst would, and the
# steering-committee deck in LibreOffice Impress
OPTIONAL_PACKAGES=(chromium-headless-shell libreoffice-calc-nogui libreoffice-impress-nogui)
declare -A WITHOUT=(
  [chromium-headless-shell]="account plans will be printed by WeasyPrint (slower)"
  [libreoffice-calc-nogui]="the test that opens the workbooks in LibreOffice is skipped"
  [libreoffice-impress-nogui]="the test that opens the deck in LibreOffice Impress is skipped"
)

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@";
            else return 1; fi; }

apt_install() {
  command -v apt-get >/dev/null || return 1
  echo "Installing system packages: $*"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" \
      >/dev/null
}

missing_of() {
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || echo "$p"
  done
}

# 1. system packages (WeasyPrint needs Pango; the reports use the Inter font, DejaVu and
#    Noto Color Emoji for what Inter lacks: an emoji in a name prints, not as a box)
if command -v dpkg-query >/dev/null; then
  mapfile -t need < <(missing_of "${SYSTEM_PACKAGES[@]}")
  mapfile -t want < <(missing_of "${OPTIONAL_PACKAGES[@]}")
  if [ $((${#need[@]} + ${#want[@]})) -gt 0 ] && ! apt_install "${need[@]}" "${want[@]}"; then
    if [ ${#need[@]} -gt 0 ] && ! apt_install "${need[@]}"; then
      echo "error: could not install ${need[*]}: install them with apt-get as root, then re-run." >&2
      exit 1
    fi
    for p in "${want[@]}"; do  # one by one: one that cannot be installed spares the other
      apt_install "$p" || echo "warning: could not install $p: ${WITHOUT[$p]}." \
        "Install it with apt-get as root." >&2
    done
  fi
fi

# 2. the virtual environment
if [ ! -x "$VENV/bin/python" ]; then
  if ! "$PYTHON" -m venv "$VENV" 2>/dev/null; then
    rm -rf "$VENV"
    apt_install python3-venv || { echo "error: '$PYTHON -m venv' failed; install python3-venv." >&2; exit 1; }
    "$PYTHON" -m venv "$VENV"
  fi
fi

# 3. the package and the exact versions in uv.lock (uv is fast; pip is the fallback and
#    resolves pyproject.toml's ranges itself). EXTRAS adds optional groups (make lab:
#    authoring); --inexact keeps what is installed beyond them.
"$VENV/bin/python" -m pip install -q --disable-pip-version-check uv 2>/dev/null || true
export UV_COMPILE_BYTECODE=1  # kernels start ~2 s faster with compiled bytecode
if [ -x "$VENV/bin/uv" ]; then
  extras=(--extra test)
  for e in ${EXTRAS:-}; do extras+=(--extra "$e"); done
  UV_PROJECT_ENVIRONMENT="$VENV" "$VENV/bin/uv" sync -q --frozen --inexact "${extras[@]}"
else
  spec="test${EXTRAS:+,${EXTRAS// /,}}"
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check --compile -e ".[$spec]"
fi
echo "Installed: $("$VENV/bin/kam" --help >/dev/null && echo kam) in $VENV"
