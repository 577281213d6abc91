#!/usr/bin/env bash
# Makes sure python3 has pip, numpy and Pillow for scripts/demo/make_lfw_folders.py (used by
# `make demo`). Installs only what is missing: Debian packages for python3/pip, PyPI for the rest
# (plain, then --user, then --break-system-packages for Debian's externally managed python;
# python3-numpy / python3-pil from apt as the last resort).
set -u
if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
apt_install() {
  echo "installing (apt): $*"
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@"
}
command -v python3 >/dev/null 2>&1 || apt_install python3
python3 -m pip --version >/dev/null 2>&1 || apt_install python3-pip
pip_install() {
  local pipargs=(-m pip install -q --disable-pip-version-check "$@")
  python3 "${pipargs[@]}" 2>/dev/null || python3 "${pipargs[@]}" --user 2>/dev/null \
    || python3 "${pipargs[@]}" --user --break-system-packages
}
python3 -c "import numpy" 2>/dev/null || { echo "installing (pip): numpy"; pip_install numpy || apt_install python3-numpy; }
python3 -c "import PIL" 2>/dev/null || { echo "installing (pip): pillow"; pip_install pillow || apt_install python3-pil; }
python3 -c "import numpy, PIL" || { echo "ERROR: numpy and Pillow are needed for the demo data" >&2; exit 1; }
