#!/usr/bin/env bash
# Installs what the toolkit needs and is missing: Debian libraries for offscreen OpenGL and
# open3d, a virtual environment in .venv, and the pinned Python packages. Safe to run again:
# each step checks first and does nothing when it is already done.
set -euo pipefail
cd "$(dirname "$0")/.."

# chromium: the browser the web app's test drives through Playwright (Playwright's own download is not used)
APT_PACKAGES=(libegl1 libegl-mesa0 libgl1-mesa-dri libosmesa6 libglu1-mesa libusb-1.0-0 xvfb xdotool chromium)
PYTHON=${PYTHON:-python3}
VENV=.venv

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "bootstrap: installing Debian packages: ${missing[*]}"
  if [[ $EUID -eq 0 ]]; then sudo=""; elif command -v sudo >/dev/null; then sudo="sudo"; else
    echo "bootstrap: need root (or sudo) to install ${missing[*]}." >&2; exit 1; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [[ ! -x $VENV/bin/python ]]; then
  "$PYTHON" -c 'import sys; assert sys.version_info >= (3, 10), "Python 3.10 or newer is needed"'
  echo "bootstrap: creating $VENV with $("$PYTHON" --version)"
  "$PYTHON" -m venv "$VENV"
fi

stamp="$VENV/.vdm-installed"
want=$(cat pyproject.toml constraints.txt | sha256sum | cut -d' ' -f1)
if [[ ! -f $stamp || $(cat "$stamp") != "$want" ]]; then
  echo "bootstrap: installing Python packages into $VENV (a few minutes the first time)"
  # pip, not uv/poetry: only pip sees the CPU torch wheel that lies on this machine's disk.
  "$VENV/bin/python" -m pip install -q --upgrade pip
  "$VENV/bin/python" -m pip install -q -c constraints.txt -e ".[dev,app]"
  echo "$want" > "$stamp"
fi

# Blender's Python module, for `vdm bake --blend` and `vdm pack` (4.5 LTS, .venv-blender) and for the
# tests that open those files in Blender 5.0 too (.venv-blender5), each in its own environment: bpy
# is built against numpy 1.26, the toolkit runs on numpy 2 (bake/blend.py says how it is found).
install_blender() {  # VENV REQUIREMENTS
  local venv=$1 requirements=$2 stamp="$1/.vdm-installed" want
  want=$(sha256sum "$requirements" | cut -d' ' -f1)
  if [[ -f $stamp && $(cat "$stamp") == "$want" ]]; then return; fi
  echo "bootstrap: installing Blender's Python module ($(grep -m1 '^bpy' "$requirements")) into $venv"
  [[ -x $venv/bin/python ]] || "$PYTHON" -m venv "$venv"
  "$venv/bin/python" -m pip install -q --upgrade pip
  "$venv/bin/python" -m pip install -q -r "$requirements"
  echo "$want" > "$stamp"
}
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
  echo "bootstrap: bpy needs Python 3.11; skipping .venv-blender (vdm bake --blend will say so)"
else
  install_blender .venv-blender blender-requirements.txt
  install_blender .venv-blender5 blender5-requirements.txt
fi
